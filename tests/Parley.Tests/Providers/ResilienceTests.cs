using Parley.Tests.Infrastructure;

namespace Parley.Tests.Providers;

public sealed class ResilienceTests(UpstreamFixture fixture) : IClassFixture<UpstreamFixture>
{
    [Fact]
    public async Task Two_429s_with_Retry_After_then_success_gives_a_complete_reply_after_the_advised_wait()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync(new { model = UpstreamFixture.RateLimited });
        var reply = await client.ChatAsync(session.Str("id"), "patience");

        Assert.Equal("complete", reply.Str("status"));
        Assert.StartsWith("[fake:2] patience", reply.Str("content"));
        var calls = fixture.RequestsFor(UpstreamFixture.RateLimited);
        Assert.Equal([429, 429, 200], calls.Where(c => c.Body.GetProperty("stream").GetBoolean()).Select(c => c.StatusCode));
        // Retry-After: 1 was honoured before each retry.
        Assert.True(calls[1].ReceivedAt - calls[0].ReceivedAt >= TimeSpan.FromMilliseconds(950));
        Assert.True(calls[2].ReceivedAt - calls[1].ReceivedAt >= TimeSpan.FromMilliseconds(950));
    }

    [Fact]
    public async Task A_503_on_the_primary_falls_back_and_the_message_records_which_model_answered()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync(new { model = UpstreamFixture.Primary });
        var reply = await client.ChatAsync(session.Str("id"), "fall back please");

        Assert.True(reply.Str("status") == "complete", reply.ToString());
        Assert.Equal(UpstreamFixture.Backup, reply.Str("model"));
        Assert.StartsWith("[fake:2] fall back please", reply.Str("content"));
        Assert.Contains(fixture.RequestsFor(UpstreamFixture.Primary), r => r.StatusCode == 503);
    }

    [Fact]
    public async Task After_repeated_failures_the_breaker_opens_and_requests_go_straight_to_the_fallback()
    {
        using var client = await fixture.SignedInAsync();
        for (var i = 0; i < 3; i++)
        {
            var session = await client.CreateSessionAsync(new { model = UpstreamFixture.Breaking });
            var reply = await client.ChatAsync(session.Str("id"), $"attempt {i}");
            Assert.Equal(UpstreamFixture.Backup, reply.Str("model"));
        }
        Assert.Equal(3, fixture.RequestsFor(UpstreamFixture.Breaking).Count);

        for (var i = 0; i < 2; i++)
        {
            var session = await client.CreateSessionAsync(new { model = UpstreamFixture.Breaking });
            var reply = await client.ChatAsync(session.Str("id"), $"after opening {i}");
            Assert.Equal("complete", reply.Str("status"));
            Assert.Equal(UpstreamFixture.Backup, reply.Str("model"));
        }
        // The open breaker kept the failing upstream from being called at all.
        Assert.Equal(3, fixture.RequestsFor(UpstreamFixture.Breaking).Count);
    }

    [Fact]
    public async Task A_401_is_not_retried_and_ends_as_upstream_auth_with_advice()
    {
        using var client = await fixture.SignedInAsync();
        var before = fixture.RequestsFor(UpstreamFixture.Unauthorized).Count;
        var session = await client.CreateSessionAsync(new { model = UpstreamFixture.Unauthorized });
        var reply = await client.ChatAsync(session.Str("id"), "who am i");

        Assert.Equal("error", reply.Str("status"));
        Assert.Equal("upstream_auth", reply.GetProperty("error").Str("code"));
        Assert.Contains("API key", reply.GetProperty("error").Str("message"));
        Assert.Equal(before + 1, fixture.RequestsFor(UpstreamFixture.Unauthorized).Count);
    }

    [Fact]
    public async Task A_429_for_an_exhausted_quota_is_not_retried()
    {
        using var client = await fixture.SignedInAsync();
        var before = fixture.RequestsFor(UpstreamFixture.NoQuota).Count;
        var session = await client.CreateSessionAsync(new { model = UpstreamFixture.NoQuota });
        var reply = await client.ChatAsync(session.Str("id"), "spend");

        Assert.Equal("error", reply.Str("status"));
        Assert.Equal("upstream_rate_limited", reply.GetProperty("error").Str("code"));
        Assert.Contains("quota", reply.GetProperty("error").Str("message"));
        Assert.Equal(before + 1, fixture.RequestsFor(UpstreamFixture.NoQuota).Count);
    }

    [Fact]
    public async Task No_first_token_within_the_timeout_ends_as_upstream_timeout()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync(new { model = UpstreamFixture.SlowHeaders });
        var reply = await client.ChatAsync(session.Str("id"), "anyone there?");

        Assert.Equal("error", reply.Str("status"));
        Assert.Equal("upstream_timeout", reply.GetProperty("error").Str("code"));
        Assert.Equal("", reply.Str("content"));
        // Parley gave up and closed the connection while the upstream was still holding its headers back.
        var call = fixture.RequestsFor(UpstreamFixture.SlowHeaders).Last();
        await fixture.Fake.Inspector.WaitForClientClosedAsync(call.Id, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_refused_connection_is_retried_then_ends_as_upstream_unavailable()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync(new { model = UpstreamFixture.Nowhere });
        var reply = await client.ChatAsync(session.Str("id"), "hello?");

        Assert.Equal("error", reply.Str("status"));
        Assert.Equal("upstream_unavailable", reply.GetProperty("error").Str("code"));
        Assert.Contains("closed", reply.GetProperty("error").Str("message"));
    }
}
