using Microsoft.EntityFrameworkCore;
using Parley.Server.Infrastructure;
using Parley.Server.Storage;

namespace Parley.Server.Auth;

// Finds the account behind a credential: from CredentialCache, else from the database (and caches it). Used by
// authentication for every request, and by a long-lived connection (a WebSocket, an SSE stream) to learn when the
// credential it was opened with stops working.
internal sealed class CredentialResolver(
    IDbContextFactory<ParleyDb> dbs, CredentialCache credentials, TimeProvider clock, ILogger<CredentialResolver> logger)
{
    private static readonly TimeSpan RecheckAtLeastEvery = TimeSpan.FromHours(1);
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(5);

    // Key use is recorded at most this often, so authentication does not write on every request.
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    // Null for an unknown key or session, an expired session, or a disabled account. A cached credential past
    // half its lifetime is read again in the background, and this request goes on with the cached one.
    public async Task<CachedCredential?> ResolveAsync(PresentedCredential presented, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (credentials.TryGet(presented.Hash, now, out var credential))
        {
            if (credentials.ClaimRefresh(presented.Hash, now)) _ = Detached.Run(() => RefreshAsync(presented));
            return credential;
        }
        return await LookUpAsync(presented, now, ct);
    }

    // Records that an API key was used now, at most once per LastUsedResolution, in the background: no request
    // waits for the write.
    public void NoteUse(PresentedCredential presented, CachedCredential credential)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (credential.ApiKeyId is not { } keyId || now - credential.KeyLastUsedAt <= LastUsedResolution) return;
        credentials.RecordUse(presented.Hash, now);
        _ = Detached.Run(() => RecordUseAsync(keyId, now));
    }

    private async Task<CachedCredential?> LookUpAsync(PresentedCredential presented, DateTime now, CancellationToken ct)
    {
        var generation = credentials.Generation;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var found = presented.Kind == CredentialKind.ApiKey
            ? await LookUpKeyAsync(db, presented.Hash, ct)
            : await LookUpSessionAsync(db, presented.Hash, now, ct);
        if (found is not null) credentials.Remember(presented.Hash, found, now, generation);
        return found;
    }

    private async Task RefreshAsync(PresentedCredential presented)
    {
        try
        {
            if (await LookUpAsync(presented, clock.GetUtcNow().UtcDateTime, CancellationToken.None) is null) credentials.Drop(presented.Hash);
        }
        catch (Exception e)
        {
            // The entry stays until its lifetime ends; the first request after that reads it on its own path.
            logger.LogWarning(e, "Reading a cached credential again failed");
        }
    }

    private async Task RecordUseAsync(string keyId, DateTime now)
    {
        try
        {
            await using var db = await dbs.CreateDbContextAsync();
            await RawSql.ExecuteAsync(db, "UPDATE api_keys SET last_used_at = @now WHERE id = @id", CancellationToken.None, ("@now", now), ("@id", keyId));
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Recording an API key's last use failed");
        }
    }

    // True once `presented` no longer signs in as `userId`: its key was deleted, its session logged out or
    // expired, or the account disabled. False when `ct` ends the wait first. A failed look-up (the database
    // unreachable) is logged and tried again shortly: it does not count as a revocation.
    public async Task<bool> WaitUntilRevokedAsync(PresentedCredential presented, string userId, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                await WaitForChangeThatRevokesAsync(presented, userId, ct);
                return true;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Checking a long-lived connection's credential failed; trying again shortly");
                try
                {
                    await Task.Delay(RetryAfterFailure, clock, ct);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }
    }

    // Credentials change rarely, so this waits for CredentialCache to be told of a change (on this node or,
    // through ClusterNotifier, on another) and only then looks again.
    private async Task WaitForChangeThatRevokesAsync(PresentedCredential presented, string userId, CancellationToken ct)
    {
        while (true)
        {
            var changed = credentials.Changed;
            if (await ResolveAsync(presented, ct) is not { } credential || credential.UserId != userId) return;
            // A session's end comes without a change; the wait is cut into pieces Task.Delay takes.
            var wait = RecheckAtLeastEvery;
            if (credential.ExpiresAt is { } expires && expires - clock.GetUtcNow().UtcDateTime is var left && left < wait)
            {
                wait = left > TimeSpan.Zero ? left : TimeSpan.Zero;
            }
            using var either = CancellationTokenSource.CreateLinkedTokenSource(changed, ct);
            try
            {
                await Task.Delay(wait, clock, either.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Something changed: look again.
            }
        }
    }

    // A disabled account's credentials are not found, so they stop working at once. Compiled: a look-up runs about
    // twice a minute per credential in use, too seldom for the runtime to optimise EF's translation of a query.
    private static readonly Func<ParleyDb, string, CancellationToken, Task<CachedCredential?>> LookUpKeyAsync =
        EF.CompileAsyncQuery((ParleyDb db, string hash, CancellationToken ct) =>
            (from k in db.ApiKeys.AsNoTracking()
             join u in db.Users.AsNoTracking() on k.UserId equals u.Id
             where k.KeyHash == hash && !u.Disabled
             select new CachedCredential(u.Id, u.Username, u.IsAdmin, u.DailyTokenQuota, k.Id, k.LastUsedAt, null))
            .FirstOrDefault());

    private static readonly Func<ParleyDb, string, DateTime, CancellationToken, Task<CachedCredential?>> LookUpSessionAsync =
        EF.CompileAsyncQuery((ParleyDb db, string hash, DateTime now, CancellationToken ct) =>
            (from s in db.LoginSessions.AsNoTracking()
             join u in db.Users.AsNoTracking() on s.UserId equals u.Id
             where s.TokenHash == hash && s.ExpiresAt > now && !u.Disabled
             select new CachedCredential(u.Id, u.Username, u.IsAdmin, u.DailyTokenQuota, null, null, s.ExpiresAt))
            .FirstOrDefault());
}
