#if POSTGRES
using Npgsql;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Cluster;

// A claim starts its reply and tells the other nodes so in the same statement: whoever listens on the cluster's
// channel hears that the reply is generating, and hears it once.
public sealed class ClaimNotificationTests
{
    [Fact]
    public async Task Claiming_a_reply_notifies_the_cluster_that_it_is_generating()
    {
        await using var app = new ParleyApp();
        using var client = app.NewClient();
        await client.SignUpAsync();
        var session = await client.CreateSessionAsync();

        await using var listener = new NpgsqlConnection(app.DatabasePath);
        await listener.OpenAsync();
        var heard = new List<string>();
        listener.Notification += (_, e) => { lock (heard) heard.AddRange(e.Payload.Split('\n')); };
        await using (var listen = new NpgsqlCommand("LISTEN parley", listener)) await listen.ExecuteNonQueryAsync();

        var (_, reply) = await client.SendAsync(session.Str("id"), "Tell everyone");
        var expected = $"s {reply.Str("id")} generating";
        await client.WaitForReplyAsync(reply.Str("id"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !Heard(heard, expected)) await listener.WaitAsync(TimeSpan.FromMilliseconds(200));
        // Whatever else is on its way arrives in the meantime.
        await listener.WaitAsync(TimeSpan.FromMilliseconds(300));

        lock (heard) Assert.Equal(1, heard.Count(line => line == expected));
    }

    private static bool Heard(List<string> heard, string line)
    {
        lock (heard) return heard.Contains(line);
    }
}
#endif
