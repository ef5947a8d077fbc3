using Npgsql;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Storage;

// Parley's statements are prepared on each connection after a few uses, so PostgreSQL plans each once per
// connection; a connection string that sets Max Auto Prepare itself keeps its own value (0: never prepare).
public sealed class PreparedStatementTests
{
    [Fact]
    public async Task Statements_used_again_and_again_are_prepared_unless_the_connection_string_says_otherwise()
    {
        var database = PostgresCluster.Shared.CreateDatabase();
        try
        {
            await using (var app = new ParleyApp(new Dictionary<string, string?> { ["ConnectionStrings:Parley"] = database }))
            {
                Assert.True(await PreparedAfterRepeatsAsync(app.Service<NpgsqlDataSource>()) > 0);
            }
            await using (var app = new ParleyApp(new Dictionary<string, string?> { ["ConnectionStrings:Parley"] = database + ";Max Auto Prepare=0" }))
            {
                Assert.Equal(0, await PreparedAfterRepeatsAsync(app.Service<NpgsqlDataSource>()));
            }
        }
        finally
        {
            PostgresCluster.Shared.DropDatabase(database);
        }
    }

    // Runs one statement ten times on one of the server's connections, then counts that connection's prepared statements.
    private static async Task<long> PreparedAfterRepeatsAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        for (var i = 0; i < 10; i++)
        {
            await using var repeat = new NpgsqlCommand("SELECT COUNT(*) FROM sessions WHERE user_id = $1", connection) { Parameters = { new() { Value = "nobody" } } };
            await repeat.ExecuteScalarAsync();
        }
        await using var count = new NpgsqlCommand("SELECT COUNT(*) FROM pg_prepared_statements", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
