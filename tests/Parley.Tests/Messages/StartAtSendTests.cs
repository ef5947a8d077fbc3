using Parley.Server.Generation;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Messages;

// A send (or a regeneration) on a node whose worker has a free slot claims its reply in its own transaction and
// starts it; a send on a full node leaves its reply queued for the worker's claim. Either way each reply runs
// once, in one attempt.
public sealed class StartAtSendTests
{
    [Fact]
    public async Task A_send_and_a_regeneration_on_a_node_with_a_free_slot_start_their_reply_in_one_attempt_of_this_node()
    {
        await using var app = new ParleyApp();
        using var client = app.NewClient();
        await client.SignUpAsync();
        var db = new ParleyDatabase(app.DatabasePath);
        var node = app.Service<ReplyJobQueue>().NodeId;
        var session = (await client.CreateSessionAsync()).Str("id");

        var (_, sent) = await client.SendAsync(session, "Start at once");
        Assert.Equal("generating", sent.Str("status"));
        Assert.Equal("complete", (await client.WaitForReplyAsync(sent.Str("id"))).Str("status"));

        var regenerated = (await client.PostAsync($"/api/messages/{sent.Str("id")}/regenerate", null, System.Net.HttpStatusCode.Accepted))
            .GetProperty("assistantMessage");
        Assert.Equal("generating", regenerated.Str("status"));
        Assert.Equal("complete", (await client.WaitForReplyAsync(regenerated.Str("id"))).Str("status"));

        foreach (var id in new[] { sent.Str("id"), regenerated.Str("id") })
        {
            var attempts = await db.RowsAsync("SELECT attempt, node_id FROM reply_attempts WHERE message_id = @m", ("@m", id));
            var attempt = Assert.Single(attempts);
            Assert.Equal((1L, node), (Convert.ToInt64(attempt[0]), (string)attempt[1]!));
            var events = await client.ReadStreamAsync(id);
            Assert.DoesNotContain(events, e => e.Event == "reset");
        }
        Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM reply_jobs"));
    }

    [Fact]
    public async Task A_send_on_a_full_node_stays_queued_until_a_slot_frees_and_is_then_claimed()
    {
        await using var app = new ParleyApp(SlowReplyFixture.OneSlotSettings());
        using var client = app.NewClient();
        await client.SignUpAsync();
        var db = new ParleyDatabase(app.DatabasePath);

        var (_, first) = await client.SendAsync((await client.CreateSessionAsync()).Str("id"), "I hold the only slot");
        await Poll.UntilAsync(() => client.GetAsync($"/api/messages/{first.Str("id")}"), m => m.Str("status") == "generating",
            TimeSpan.FromSeconds(10), "the first reply to start");
        var (_, second) = await client.SendAsync((await client.CreateSessionAsync()).Str("id"), "I wait my turn");
        try
        {
            Assert.Equal("queued", second.Str("status"));
            Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM reply_attempts WHERE message_id = @m", ("@m", second.Str("id"))));

            await client.PostAsync($"/api/messages/{first.Str("id")}/cancel", null, System.Net.HttpStatusCode.Accepted);
            await Poll.UntilAsync(() => client.GetAsync($"/api/messages/{second.Str("id")}"), m => m.Str("status") == "generating",
                TimeSpan.FromSeconds(10), "the queued reply to be claimed");
            Assert.Equal(1, await db.CountAsync("SELECT COUNT(*) FROM reply_attempts WHERE message_id = @m AND attempt = 1", ("@m", second.Str("id"))));
        }
        finally
        {
            await client.Http.PostAsync($"/api/messages/{first.Str("id")}/cancel", null);
            await client.Http.PostAsync($"/api/messages/{second.Str("id")}/cancel", null);
        }
    }
}
