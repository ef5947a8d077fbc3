using Parley.Tests.Infrastructure;
using Parley.Tests.Messages;

namespace Parley.Tests.Durability;

// A worker whose job was taken from it (its lease lapsed while it stalled, and another worker claimed the
// reply) must not write to that reply any more: not one more event, and not its end. The takeover is injected
// for real, as another claim would make it: the job row gets another owner and one more attempt.
[Collection(DurabilityCollection.Name)]
public sealed class FencingTests
{
    [Fact]
    public async Task A_worker_whose_job_was_taken_over_writes_nothing_more_to_the_reply_and_stops()
    {
        // 200 tokens at 40/s: five seconds, so the takeover lands mid-reply.
        await using var server = await ParleyProcess.StartAsync(new Dictionary<string, string?>
        {
            ["Parley:Demo:TokensPerSecond"] = "40",
            ["Parley:Demo:ReplyTokens"] = "200",
            ["Parley:Generation:LeaseSeconds"] = "3",
        });
        var db = new ParleyDatabase(server.DatabasePath);
        var key = await server.SignUpAsync();
        using var client = server.NewClient(key);
        var session = await client.CreateSessionAsync();
        var (_, reply) = await client.SendAsync(session.Str("id"), "Lose your job half-way");
        var replyId = reply.Str("id");
        await Poll.UntilAsync(() => db.CountAsync("SELECT COUNT(*) FROM stream_events WHERE message_id = @m", ("@m", replyId)),
            n => n >= 10, TimeSpan.FromSeconds(30), "the reply to be under way");

        var taken = await db.ExecuteAsync(
            "UPDATE reply_jobs SET lease_owner = 'another-node', attempts = attempts + 1 WHERE message_id = @m", ("@m", replyId));
        Assert.Equal(1, taken);
        var eventsAtTakeover = await db.CountAsync("SELECT COUNT(*) FROM stream_events WHERE message_id = @m", ("@m", replyId));

        // The worker finds out at its next heartbeat (every second here) and stops; meanwhile its writes are refused.
        await server.WaitForLogAsync("no longer holds reply", TimeSpan.FromSeconds(10));
        await Task.Delay(500);
        Assert.Equal(eventsAtTakeover, await db.CountAsync("SELECT COUNT(*) FROM stream_events WHERE message_id = @m", ("@m", replyId)));
        Assert.Equal("generating", await ReplyChecks.StatusAsync(db, replyId));
        Assert.Equal(1, await db.CountAsync("SELECT COUNT(*) FROM reply_jobs WHERE message_id = @m AND lease_owner = 'another-node'", ("@m", replyId)));
        Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM stream_events WHERE message_id = @m AND kind = 'done'", ("@m", replyId)));
    }
}
