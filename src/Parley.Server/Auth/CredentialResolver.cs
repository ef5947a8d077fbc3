using Microsoft.EntityFrameworkCore;
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

    // Null for an unknown key or session, an expired session, or a disabled account.
    public async Task<CachedCredential?> ResolveAsync(PresentedCredential presented, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var generation = credentials.Generation;
        if (credentials.TryGet(presented.Hash, now, out var credential)) return credential;

        await using var db = await dbs.CreateDbContextAsync(ct);
        var found = presented.Kind == CredentialKind.ApiKey
            ? await LookUpKeyAsync(db, presented.Hash, ct)
            : await LookUpSessionAsync(db, presented.Hash, now, ct);
        if (found is not null) credentials.Remember(presented.Hash, found, now, generation);
        return found;
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

    // A disabled account's credentials are not found, so they stop working at once.
    private static Task<CachedCredential?> LookUpKeyAsync(ParleyDb db, string hash, CancellationToken ct) =>
        (from k in db.ApiKeys.AsNoTracking()
         join u in db.Users.AsNoTracking() on k.UserId equals u.Id
         where k.KeyHash == hash && !u.Disabled
         select new CachedCredential(u.Id, u.Username, u.IsAdmin, u.DailyTokenQuota, k.Id, k.LastUsedAt, null))
        .FirstOrDefaultAsync(ct);

    private static Task<CachedCredential?> LookUpSessionAsync(ParleyDb db, string hash, DateTime now, CancellationToken ct) =>
        (from s in db.LoginSessions.AsNoTracking()
         join u in db.Users.AsNoTracking() on s.UserId equals u.Id
         where s.TokenHash == hash && s.ExpiresAt > now && !u.Disabled
         select new CachedCredential(u.Id, u.Username, u.IsAdmin, u.DailyTokenQuota, null, null, s.ExpiresAt))
        .FirstOrDefaultAsync(ct);
}
