using System.Collections.Concurrent;
using Parley.Server.Cluster;

namespace Parley.Server.Auth;

// The accounts behind recently used credentials (API keys and session cookies, by their hash), so that
// authenticating a request reads nothing from the database. Whatever revokes or changes a credential or an
// account (a key deletion, a logout, an administrator's change to a user) calls Forget: this node drops every
// entry at once, and the other nodes do when ClusterNotifier's message reaches them (within moments; a node
// whose notification connection dropped drops every entry when it reconnects). An entry also lives no longer
// than Lifetime, and a cookie's entry no longer than its session.
internal sealed class CredentialCache(ClusterNotifier cluster)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    // An entry this old is read again in the background (ClaimRefresh), so that a credential in steady use is never
    // read on a request's path: that read, once a minute, cost a /v1 call 5–12 ms to its first token
    // (docs/BENCHMARK-FINDINGS.md, 2026-12-07, night).
    public static readonly TimeSpan RefreshAfter = Lifetime / 2;

    // Past this many entries the cache starts again empty, so a flood of distinct credentials cannot grow it.
    private const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _byHash = new(StringComparer.Ordinal);
    private long _generation;
    private CancellationTokenSource _changed = new();

    // Taken before reading a credential from the database and passed to Remember: a read that a Forget overtook
    // may predate the change, so it is not kept.
    public long Generation => Interlocked.Read(ref _generation);

    // Cancelled at the next Forget, on this node or another: what holds a credential open (a WebSocket) waits on
    // it to look again. Each change replaces it; the old source is left to the collector, not disposed, since
    // waiters may still be linking to it.
    public CancellationToken Changed => Volatile.Read(ref _changed).Token;

    public bool TryGet(string hash, DateTime now, out CachedCredential credential)
    {
        if (_byHash.TryGetValue(hash, out var entry) && now - entry.CachedAt < Lifetime && !(entry.Credential.ExpiresAt <= now))
        {
            credential = entry.Credential;
            return true;
        }
        credential = null!;
        return false;
    }

    // True for one caller once the entry is past RefreshAfter: that caller reads the credential again and
    // Remembers (or Drops) it, while requests go on using this entry until then, or until its Lifetime ends.
    public bool ClaimRefresh(string hash, DateTime now) =>
        _byHash.TryGetValue(hash, out var entry) && now - entry.CachedAt >= RefreshAfter && Interlocked.Exchange(ref entry.RefreshClaimed, 1) == 0;

    // A key's use at `usedAt` is being recorded: the entry says so, for the requests after this one, and keeps its
    // age, since the account was not read again.
    public void RecordUse(string hash, DateTime usedAt)
    {
        if (_byHash.TryGetValue(hash, out var entry)) entry.Credential = entry.Credential with { KeyLastUsedAt = usedAt };
    }

    // A refresh found the credential revoked, or its account disabled.
    public void Drop(string hash) => _byHash.TryRemove(hash, out _);

    public void Remember(string hash, CachedCredential credential, DateTime now, long generation)
    {
        if (_byHash.Count >= MaxEntries) _byHash.Clear();
        _byHash[hash] = new Entry(credential, now);
        // Forgotten meanwhile: the entry may be from before the change. (A Forget after this check clears it.)
        if (Generation != generation) _byHash.TryRemove(hash, out _);
    }

    // A credential or an account changed: every node forgets what it holds.
    public void Forget()
    {
        ForgetLocally();
        cluster.Post(ClusterNotifier.CredentialsChanged);
    }

    public void ForgetLocally()
    {
        Interlocked.Increment(ref _generation);
        _byHash.Clear();
        // The waiters run on the thread pool, not inside the request that made the change.
        _ = Interlocked.Exchange(ref _changed, new CancellationTokenSource()).CancelAsync();
    }

    private sealed class Entry(CachedCredential credential, DateTime cachedAt)
    {
        public volatile CachedCredential Credential = credential;
        public readonly DateTime CachedAt = cachedAt;
        public int RefreshClaimed;
    }
}

// What authentication needs of an account, as of when it was read. ApiKeyId is null for a session cookie, whose
// ExpiresAt is the session's end.
internal sealed record CachedCredential(
    string UserId,
    string Username,
    bool IsAdmin,
    long? DailyTokenQuota,
    string? ApiKeyId,
    DateTime? KeyLastUsedAt,
    DateTime? ExpiresAt);
