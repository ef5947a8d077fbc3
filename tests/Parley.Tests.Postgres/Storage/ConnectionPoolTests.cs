using Parley.Tests.Infrastructure;

namespace Parley.Tests.Storage;

// Contexts are pooled (StorageExtensions), and a pooled context that is handed back with its connection still
// open keeps that connection, and with it one of Npgsql's, for good. Once more contexts are in use at a time than
// Npgsql's pool has connections, a server that left them open would have the whole pool held by idle contexts:
// its requests would wait for a connection until Npgsql's timeout and fail.
public sealed class ConnectionPoolTests
{
    [Fact]
    public async Task Turns_on_a_pool_of_four_connections_never_run_out_of_connections()
    {
        var database = PostgresCluster.Shared.CreateDatabase();
        try
        {
            await using var app = new ParleyApp(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Parley"] = database + ";Maximum Pool Size=4;Timeout=5",
            });
            // Eight users at once: more contexts in use at a time than the pool has connections.
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            {
                using var client = app.NewClient();
                await client.SignUpAsync();
                for (var turn = 0; turn < 4; turn++)
                {
                    var session = await client.CreateSessionAsync();
                    var (_, reply) = await client.SendAsync(session.Str("id"), $"Question {turn}");
                    var events = await client.ReadStreamAsync(reply.Str("id"));
                    Assert.Equal("done", events[^1].Event);
                    // Resuming reads the stored events again, through the same raw SQL path.
                    var replayed = await client.ReadStreamAsync(reply.Str("id"), after: 1);
                    Assert.Equal(events.Where(e => e.Id is not null).Skip(1).Select(e => e.Id), replayed.Where(e => e.Id is not null).Select(e => e.Id));
                    var messages = await client.GetAsync($"/api/sessions/{session.Str("id")}/messages");
                    Assert.Equal("complete", messages.GetProperty("items")[1].Str("status"));
                }
            }));
        }
        finally
        {
            PostgresCluster.Shared.DropDatabase(database);
        }
    }
}
