using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Messages;

public sealed class CancelTests(SlowReplyFixture slow, AppFixture fast) : IClassFixture<SlowReplyFixture>, IClassFixture<AppFixture>
{
    [Fact]
    public async Task Cancel_mid_stream_ends_with_done_cancelled_within_1s_and_keeps_the_partial_content()
    {
        using var client = await slow.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        var (_, reply) = await client.SendAsync(sessionId, "Write me a long story");
        var id = reply.Str("id");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var stream = await SseReader.OpenAsync(client, id, timeout.Token);

        var events = new List<SseEvent>();
        while (events.Count(e => e.Event == "delta") < 3) await stream.NextNamedAsync("delta", events, timeout.Token);

        var sinceCancel = Stopwatch.StartNew();
        var cancel = await client.Http.PostAsync($"/api/messages/{id}/cancel", null);
        await ParleyClient.ExpectAsync(cancel, HttpStatusCode.Accepted);
        var done = await stream.NextNamedAsync("done", events, timeout.Token);
        sinceCancel.Stop();

        Assert.True(sinceCancel.Elapsed < TimeSpan.FromSeconds(1), $"done arrived {sinceCancel.ElapsedMilliseconds} ms after the cancel");
        Assert.Equal("cancelled", done.Json.Str("status"));
        Assert.Null(await stream.NextAsync(timeout.Token)); // done is the last event; the response ends.

        var deltas = string.Concat(events.Where(e => e.Event == "delta").Select(e => e.Json.Str("content")));
        var stored = await client.GetAsync($"/api/messages/{id}");
        Assert.Equal("cancelled", stored.Str("status"));
        Assert.NotEqual("", stored.Str("content"));
        Assert.Equal(deltas, stored.Str("content"));
        Assert.InRange(events.Count(e => e.Event == "delta"), 3, 199); // It stopped well before the 200-token reply ended.
        Assert.NotEqual(JsonValueKind.Null, stored.GetProperty("completedAt").ValueKind);

        // The session's running slot is free again.
        var (_, next) = await client.SendAsync(sessionId, "Shorter this time");
        await client.PostAsync($"/api/messages/{next.Str("id")}/cancel", null, HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task Cancelling_a_finished_message_returns_409()
    {
        using var client = await fast.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        var (user, reply) = await client.SendAsync(sessionId, "Quick one");
        var finished = await client.WaitForReplyAsync(reply.Str("id"));
        Assert.Equal("complete", finished.Str("status"));

        var response = await client.Http.PostAsync($"/api/messages/{reply.Str("id")}/cancel", null);
        var problem = await ParleyClient.ExpectAsync(response, HttpStatusCode.Conflict);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(409, problem.GetProperty("status").GetInt32());
        Assert.Equal("complete", problem.Str("messageStatus"));

        // A user message is complete from the start, so it cannot be cancelled either.
        await client.PostAsync($"/api/messages/{user.Str("id")}/cancel", null, HttpStatusCode.Conflict);
        var after = await client.GetAsync($"/api/messages/{reply.Str("id")}");
        Assert.Equal("complete", after.Str("status"));
        Assert.Equal(finished.Str("content"), after.Str("content"));
    }

    [Fact]
    public async Task Cancelling_an_unknown_or_foreign_message_returns_404_and_leaves_it_running()
    {
        using var owner = await slow.SignedInAsync();
        using var stranger = await slow.SignedInAsync();
        var (_, reply) = await owner.SendAsync((await owner.CreateSessionAsync()).Str("id"), "Mine alone");
        var id = reply.Str("id");
        try
        {
            await stranger.PostAsync($"/api/messages/{id}/cancel", null, HttpStatusCode.NotFound);
            await stranger.PostAsync("/api/messages/msg_doesnotexist/cancel", null, HttpStatusCode.NotFound);
            Assert.Contains((await owner.GetAsync($"/api/messages/{id}")).Str("status"), new[] { "queued", "generating" });
        }
        finally
        {
            await owner.PostAsync($"/api/messages/{id}/cancel", null, HttpStatusCode.Accepted);
        }
    }

    [Fact]
    public async Task Cancelling_a_queued_reply_ends_it_at_once_with_no_content()
    {
        // One reply at a time, so the second session's reply waits in the queue behind the first.
        await using var app = new ParleyApp(SlowReplyFixture.OneSlotSettings());
        using var client = app.NewClient();
        await client.SignUpAsync();
        var (_, first) = await client.SendAsync((await client.CreateSessionAsync()).Str("id"), "I hold the only slot");
        var waitingSession = (await client.CreateSessionAsync()).Str("id");
        var (_, waiting) = await client.SendAsync(waitingSession, "I wait my turn");
        try
        {
            await Poll.UntilAsync(() => client.GetAsync($"/api/messages/{first.Str("id")}"), m => m.Str("status") == "generating",
                TimeSpan.FromSeconds(10), "the first reply to start");
            Assert.Equal("queued", (await client.GetAsync($"/api/messages/{waiting.Str("id")}")).Str("status"));

            var accepted = await client.PostAsync($"/api/messages/{waiting.Str("id")}/cancel", null, HttpStatusCode.Accepted);
            Assert.Equal(waiting.Str("id"), accepted.Str("id"));

            var stored = await client.GetAsync($"/api/messages/{waiting.Str("id")}");
            Assert.Equal("cancelled", stored.Str("status"));
            Assert.Equal("", stored.Str("content"));
            var events = await client.ReadStreamAsync(waiting.Str("id"), timeout: TimeSpan.FromSeconds(10));
            Assert.Equal("done", events[^1].Event);
            Assert.Equal("cancelled", events[^1].Json.Str("status"));
            Assert.DoesNotContain(events, e => e.Event == "delta");

            // Its session is free for the next send, though that reply also waits for the slot.
            var (_, next) = await client.SendAsync(waitingSession, "My turn now?");
            await client.PostAsync($"/api/messages/{next.Str("id")}/cancel", null, HttpStatusCode.Accepted);
        }
        finally
        {
            await client.Http.PostAsync($"/api/messages/{first.Str("id")}/cancel", null);
        }
    }

    [Fact]
    public async Task Deleting_a_session_or_clearing_its_history_stops_the_running_reply()
    {
        // One reply at a time: the next reply can only start once the running one has really stopped, which
        // would take ten seconds if it ran on.
        await using var app = new ParleyApp(SlowReplyFixture.OneSlotSettings());
        using var client = app.NewClient();
        await client.SignUpAsync();
        var db = new ParleyDatabase(app.DatabasePath);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var deleted = (await client.CreateSessionAsync()).Str("id");
        var cleared = (await client.CreateSessionAsync()).Str("id");
        var last = (await client.CreateSessionAsync()).Str("id");

        var (_, first) = await client.SendAsync(deleted, "Delete me while I talk");
        await using (var stream = await SseReader.OpenAsync(client, first.Str("id"), timeout.Token))
        {
            await stream.NextNamedAsync("delta", [], timeout.Token);
            var (_, second) = await client.SendAsync(cleared, "Clear me while I talk");
            Assert.Equal("queued", (await client.GetAsync($"/api/messages/{second.Str("id")}")).Str("status"));

            await client.DeleteAsync($"/api/sessions/{deleted}");

            // The reader's stream ends, and the slot passes to the waiting reply well before the first could finish.
            using (var streamEnd = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
            {
                while (await stream.NextAsync(streamEnd.Token) is not null) { }
            }
            await Poll.UntilAsync(() => client.GetAsync($"/api/messages/{second.Str("id")}"), m => m.Str("status") == "generating",
                TimeSpan.FromSeconds(3), "the queued reply to start after the session delete");
            Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM messages WHERE session_id = @s", ("@s", deleted)));
            Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM stream_events WHERE message_id = @m", ("@m", first.Str("id"))));

            var (_, third) = await client.SendAsync(last, "My turn after the clear");
            await client.DeleteAsync($"/api/sessions/{cleared}/messages");
            await Poll.UntilAsync(() => client.GetAsync($"/api/messages/{third.Str("id")}"), m => m.Str("status") == "generating",
                TimeSpan.FromSeconds(3), "the queued reply to start after the history clear");
            Assert.Equal(0, (await client.GetAsync($"/api/sessions/{cleared}")).GetProperty("messageCount").GetInt32());
            Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM messages WHERE session_id = @s", ("@s", cleared)));

            await client.PostAsync($"/api/messages/{third.Str("id")}/cancel", null, HttpStatusCode.Accepted);
        }
    }
}
