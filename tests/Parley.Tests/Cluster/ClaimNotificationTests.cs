#if POSTGRES
using Npgsql;
using Parley.Tests.Infrastructure;
using Parley.Tests.Messages;

namespace Parley.Tests.Cluster;

// A claim starts its reply and tells the other nodes so in the same statement: whoever listens on the cluster's
// channel hears that the reply is generating, and hears it once. (A send on a node with a free slot starts its
// reply itself; here the only slot is taken, so the second reply waits in the queue for a claim.)
public sealed class ClaimNotificationTests
{
    [Fact]
    public async Task Claiming_a_reply_notifies_the_cluster_that_it_is_generating()
    {
        await using var app = new ParleyApp(SlowReplyFixture.OneSlotSettings());
        using var client = app.NewClient();
        await client.SignUpAsync();
        var (_, first) = await client.SendAsync((await client.CreateSessionAsync()).Str("id"), "I hold the only slot");
        await Poll.UntilAsync(() => client.GetAsync($"/api/messages/{first.Str("id")}"), m => m.Str("status") == "generating",
            TimeSpan.FromSeconds(10), "the first reply to start");
        var session = await client.CreateSessionAsync();

        await using var listener = new NpgsqlConnection(app.DatabasePath);
        await listener.OpenAsync();
        var heard = new List<string>();
        listener.Notification += (_, e) => { lock (heard) heard.AddRange(e.Payload.Split('\n')); };
        await using (var listen = new NpgsqlCommand("LISTEN parley", listener)) await listen.ExecuteNonQueryAsync();

        var (_, reply) = await client.SendAsync(session.Str("id"), "Tell everyone");
        Assert.Equal("queued", reply.Str("status"));
        var expected = $"s {reply.Str("id")} generating";
        await client.PostAsync($"/api/messages/{first.Str("id")}/cancel", null, System.Net.HttpStatusCode.Accepted);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !Heard(heard, expected)) await listener.WaitAsync(TimeSpan.FromMilliseconds(200));
        // Whatever else is on its way arrives in the meantime.
        await listener.WaitAsync(TimeSpan.FromMilliseconds(300));

        await client.PostAsync($"/api/messages/{reply.Str("id")}/cancel", null, System.Net.HttpStatusCode.Accepted);
        lock (heard) Assert.Equal(1, heard.Count(line => line == expected));
    }

    private static bool Heard(List<string> heard, string line)
    {
        lock (heard) return heard.Contains(line);
    }
}
#endif
