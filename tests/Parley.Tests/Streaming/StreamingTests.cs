using System.Text.Json;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Streaming;

public sealed class StreamingTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task Late_subscriber_gets_full_replay_then_done_and_deltas_equal_stored_content()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync();
        var (_, reply) = await client.SendAsync(session.Str("id"), "Tell me about streams");
        var finished = await client.WaitForReplyAsync(reply.Str("id"));

        var events = await client.ReadStreamAsync(reply.Str("id"));

        Assert.Equal("done", events[^1].Event);
        var seqs = events.Where(e => e.Id is not null).Select(e => e.Seq).ToList();
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
        Assert.All(events.Where(e => e.Id is not null), e => Assert.Equal(e.Id, e.Seq.ToString()));
        var text = string.Concat(events.Where(e => e.Event == "delta").Select(e => e.Json.Str("content")));
        Assert.Equal(finished.Str("content"), text);
        Assert.Contains("Tell me about streams", text);
        Assert.Equal("complete", events[^1].Json.Str("status"));
    }
}
