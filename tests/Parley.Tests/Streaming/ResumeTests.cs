using Parley.Tests.Infrastructure;

namespace Parley.Tests.Streaming;

public sealed class ResumeTests(SlowAppFixture fixture) : IClassFixture<SlowAppFixture>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Reader_that_disconnects_mid_reply_resumes_with_exactly_the_rest(bool useLastEventIdHeader)
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync();
        var (_, reply) = await client.SendAsync(session.Str("id"), "Resume me please");
        var id = reply.Str("id");

        var first = await client.ReadStreamAsync(id, stopAfter: 10);
        var firstWithIds = first.Where(e => e.Id is not null).ToList();
        Assert.Equal(10, firstWithIds.Count);
        var lastSeen = firstWithIds[^1].Seq;
        Assert.NotEqual("done", firstWithIds[^1].Event);

        var rest = useLastEventIdHeader
            ? await client.ReadStreamAsync(id, lastEventId: lastSeen.ToString())
            : await client.ReadStreamAsync(id, after: lastSeen);
        var restWithIds = rest.Where(e => e.Id is not null).ToList();

        // Exactly the rest: it starts right after the last event seen, and nothing is repeated or skipped.
        Assert.Equal(lastSeen + 1, restWithIds[0].Seq);
        var all = firstWithIds.Concat(restWithIds).Select(e => e.Seq).ToList();
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all);
        Assert.Equal("done", restWithIds[^1].Event);

        // Every sequence number carries the same content as the full replay.
        var replay = (await client.ReadStreamAsync(id)).Where(e => e.Id is not null).ToList();
        Assert.Equal(replay.Select(e => (e.Seq, e.Event, e.Data)), firstWithIds.Concat(restWithIds).Select(e => (e.Seq, e.Event, e.Data)));

        var stored = await client.GetAsync($"/api/messages/{id}");
        var text = string.Concat(firstWithIds.Concat(restWithIds).Where(e => e.Event == "delta").Select(e => e.Json.Str("content")));
        Assert.Equal(stored.Str("content"), text);
    }

    [Fact]
    public async Task Live_reader_sees_status_then_deltas_and_a_disconnect_does_not_stop_the_reply()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync();
        var (_, reply) = await client.SendAsync(session.Str("id"), "Keep going without me");

        var early = await client.ReadStreamAsync(reply.Str("id"), stopAfter: 3);
        Assert.Equal("status", early[0].Event);
        Assert.Contains(early[0].Json.Str("status"), new[] { "queued", "generating" });

        var finished = await client.WaitForReplyAsync(reply.Str("id"));
        Assert.Equal("complete", finished.Str("status"));
        Assert.Contains("Keep going without me", finished.Str("content"));
    }

    [Fact]
    public async Task Resume_after_the_last_event_of_a_finished_reply_yields_nothing_more()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync();
        var (_, reply) = await client.SendAsync(session.Str("id"), "Short");
        await client.WaitForReplyAsync(reply.Str("id"));
        var all = await client.ReadStreamAsync(reply.Str("id"));
        var doneSeq = all[^1].Seq;

        var beforeDone = await client.ReadStreamAsync(reply.Str("id"), after: doneSeq - 1);
        Assert.Single(beforeDone);
        Assert.Equal("done", beforeDone[0].Event);

        // A reader already past `done` gets an empty stream that ends, not one that waits forever.
        var pastDone = await client.ReadStreamAsync(reply.Str("id"), after: doneSeq, timeout: TimeSpan.FromSeconds(5));
        Assert.Empty(pastDone);
    }

    [Fact]
    public async Task Bad_resume_positions_are_rejected_with_field_errors()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync();
        var (_, reply) = await client.SendAsync(session.Str("id"), "x");

        using var badHeader = await client.OpenStreamAsync(reply.Str("id"), lastEventId: "abc");
        var problem = await ParleyClient.ExpectAsync(badHeader, System.Net.HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("Last-Event-ID", out _));

        using var negative = await client.OpenStreamAsync(reply.Str("id"), after: -5);
        await ParleyClient.ExpectAsync(negative, System.Net.HttpStatusCode.BadRequest);
    }
}
