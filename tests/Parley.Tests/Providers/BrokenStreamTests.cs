using Parley.Tests.Infrastructure;

namespace Parley.Tests.Providers;

public sealed class BrokenStreamTests(UpstreamFixture fixture) : IClassFixture<UpstreamFixture>
{
    [Theory]
    [InlineData(UpstreamFixture.Reset, "upstream_error", 5)]
    [InlineData(UpstreamFixture.Stall, "upstream_timeout", 3)]
    [InlineData(UpstreamFixture.Malformed, "upstream_error", 2)]
    [InlineData(UpstreamFixture.ErrorEvent, "upstream_error", 4)]
    public async Task A_broken_stream_ends_as_error_keeps_the_partial_text_and_the_server_stays_healthy(string model, string code, int tokensBefore)
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync(new { model });
        var (_, reply) = await client.SendAsync(session.Str("id"), "break now");
        var events = await client.ReadStreamAsync(reply.Str("id"));
        var stored = await client.WaitForReplyAsync(reply.Str("id"));

        Assert.Equal("error", stored.Str("status"));
        Assert.Equal(code, stored.GetProperty("error").Str("code"));
        var deltas = events.Where(e => e.Event == "delta").Select(e => e.Json.Str("content")).ToList();
        Assert.Equal(tokensBefore, deltas.Count);
        Assert.Equal(string.Concat(deltas), stored.Str("content"));
        Assert.StartsWith("[fake:2]", stored.Str("content"));
        var done = events[^1];
        Assert.Equal("done", done.Event);
        Assert.Equal(code, done.Json.GetProperty("error").Str("code"));

        // Healthy afterwards: the next send in the same session works.
        await client.PatchAsync($"/api/sessions/{session.Str("id")}", new { model = "fake" });
        var next = await client.ChatAsync(session.Str("id"), "and now?");
        Assert.Equal("complete", next.Str("status"));
        Assert.Equal(200, (int)(await client.Http.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task Cancel_aborts_the_upstream_request_within_a_second()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync(new { model = UpstreamFixture.Slow });
        var (_, reply) = await client.SendAsync(session.Str("id"), "long answer please");
        var id = reply.Str("id");
        var early = await client.ReadStreamAsync(id, stopAfter: 3);
        Assert.Equal(3, early.Count(e => e.Event == "delta"));

        var upstream = fixture.RequestsFor(UpstreamFixture.Slow).Last(r => r.Body.GetProperty("messages").EnumerateArray().Last().Str("content") == "long answer please");
        var cancelledAt = DateTimeOffset.UtcNow;
        await client.PostAsync($"/api/messages/{id}/cancel", null, System.Net.HttpStatusCode.Accepted);

        var closed = await fixture.Fake.Inspector.WaitForClientClosedAsync(upstream.Id, TimeSpan.FromSeconds(5));
        Assert.True(closed.ClientClosedAt - cancelledAt < TimeSpan.FromSeconds(1), $"closed after {(closed.ClientClosedAt - cancelledAt)?.TotalMilliseconds} ms");
        Assert.True(closed.TokensSent < 60);
        var stored = await client.WaitForReplyAsync(id);
        Assert.Equal("cancelled", stored.Str("status"));
        // The partial text is kept: at least what the reader saw before the cancel.
        Assert.StartsWith(string.Concat(early.Where(e => e.Event == "delta").Select(e => e.Json.Str("content"))), stored.Str("content"));
    }
}
