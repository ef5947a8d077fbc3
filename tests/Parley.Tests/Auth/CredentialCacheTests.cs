using Microsoft.Extensions.Logging.Abstractions;
using Parley.Server.Auth;
using Parley.Server.Cluster;
using Parley.Server.Storage;

namespace Parley.Tests.Auth;

// Pure logic of the credential cache; the revocations it serves are tested end to end in ApiKeyTests,
// AuthTests, AdminTests and, across nodes, ClusterTests.
public sealed class CredentialCacheTests
{
    private static readonly DateTime Now = new(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc);

    private readonly CredentialCache _cache = new(new ClusterNotifier(new DatabaseTarget(DatabaseKind.Sqlite, "Data Source=unused.db"),
        null!, NullLogger<ClusterNotifier>.Instance));

    [Fact]
    public void An_entry_is_served_until_its_lifetime_ends()
    {
        _cache.Remember("h", Key(), Now, _cache.Generation);

        Assert.True(_cache.TryGet("h", Now + CredentialCache.Lifetime - TimeSpan.FromSeconds(1), out var credential));
        Assert.Equal("user_1", credential.UserId);
        Assert.False(_cache.TryGet("h", Now + CredentialCache.Lifetime, out _));
        Assert.False(_cache.TryGet("other", Now, out _));
    }

    [Fact]
    public void A_cookies_entry_ends_with_its_session()
    {
        _cache.Remember("h", Key() with { ApiKeyId = null, ExpiresAt = Now.AddSeconds(5) }, Now, _cache.Generation);

        Assert.True(_cache.TryGet("h", Now.AddSeconds(4), out _));
        Assert.False(_cache.TryGet("h", Now.AddSeconds(5), out _));
    }

    [Fact]
    public void Forget_drops_every_entry()
    {
        _cache.Remember("a", Key(), Now, _cache.Generation);
        _cache.Remember("b", Key() with { UserId = "user_2" }, Now, _cache.Generation);

        _cache.Forget();

        Assert.False(_cache.TryGet("a", Now, out _));
        Assert.False(_cache.TryGet("b", Now, out _));
    }

    [Fact]
    public void A_read_that_a_forget_overtook_is_not_kept()
    {
        // The database was read before a revocation committed and was forgotten; the stale read arrives after.
        var before = _cache.Generation;
        _cache.ForgetLocally();
        _cache.Remember("h", Key(), Now, before);

        Assert.False(_cache.TryGet("h", Now, out _));

        _cache.Remember("h", Key(), Now, _cache.Generation);
        Assert.True(_cache.TryGet("h", Now, out _));
    }

    [Fact]
    public void One_caller_claims_the_refresh_of_an_entry_past_half_its_lifetime_until_it_is_read_again()
    {
        _cache.Remember("h", Key(), Now, _cache.Generation);

        Assert.False(_cache.ClaimRefresh("h", Now + CredentialCache.RefreshAfter - TimeSpan.FromSeconds(1)));
        Assert.True(_cache.ClaimRefresh("h", Now + CredentialCache.RefreshAfter));
        Assert.False(_cache.ClaimRefresh("h", Now + CredentialCache.RefreshAfter));
        Assert.False(_cache.ClaimRefresh("other", Now + CredentialCache.Lifetime));

        // Read again: a new entry, whose own refresh falls due half a lifetime later.
        var later = Now + CredentialCache.RefreshAfter;
        _cache.Remember("h", Key(), later, _cache.Generation);
        Assert.False(_cache.ClaimRefresh("h", later + CredentialCache.RefreshAfter - TimeSpan.FromSeconds(1)));
        Assert.True(_cache.ClaimRefresh("h", later + CredentialCache.RefreshAfter));
    }

    [Fact]
    public void A_recorded_use_keeps_the_entrys_age_and_a_dropped_entry_is_gone()
    {
        _cache.Remember("h", Key(), Now, _cache.Generation);
        var usedAt = Now.AddSeconds(50);

        _cache.RecordUse("h", usedAt);

        Assert.True(_cache.TryGet("h", usedAt, out var credential));
        Assert.Equal(usedAt, credential.KeyLastUsedAt);
        Assert.False(_cache.TryGet("h", Now + CredentialCache.Lifetime, out _));

        _cache.Remember("h", Key(), Now, _cache.Generation);
        _cache.Drop("h");
        Assert.False(_cache.TryGet("h", Now, out _));
    }

    private static CachedCredential Key() => new("user_1", "ada", IsAdmin: false, DailyTokenQuota: null, ApiKeyId: "key_1", KeyLastUsedAt: Now, ExpiresAt: null);
}
