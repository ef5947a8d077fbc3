using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Parley.Server.Auth;
using Parley.Server.Storage;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Storage;

// SPEC §10: migrations upgrade an existing PostgreSQL database without losing data, as they do SQLite files.
public sealed class PostgresMigrationTests
{
    [Fact]
    public async Task A_database_at_the_first_schema_version_is_upgraded_at_startup_without_losing_data()
    {
        var database = PostgresCluster.Shared.CreateDatabase();
        try
        {
            var hash = new PasswordHasher(Options.Create(new AuthOptions { PasswordIterations = 10_000 })).Hash("password123");
            await using (var connection = new NpgsqlConnection(database + ";Pooling=false"))
            {
                await connection.OpenAsync();
                var first = SchemaMigrator.ScriptsFor(DatabaseKind.Postgres).First();
                Assert.Equal(1, first.Version);
                await using var command = new NpgsqlCommand(first.Sql + $"""
                    CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
                    INSERT INTO schema_migrations VALUES (1, 'initial', '2026-01-01T00:00:00Z');
                    INSERT INTO users VALUES ('usr_old', 'olduser', 'olduser', '{hash}', true, '2026-01-01 00:00:00Z');
                    INSERT INTO sessions VALUES ('ses_old', 'usr_old', 'Kept title', false, 'assistant', 'demo', NULL,
                        '2026-01-01 00:00:00Z', '2026-01-01 00:00:01Z', 2, 1, NULL);
                    INSERT INTO messages VALUES ('msg_u', 'ses_old', 'usr_old', NULL, 'user', 'old question', 'complete', NULL, 'assistant',
                        NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, false, '2026-01-01 00:00:00Z', '2026-01-01 00:00:00Z');
                    INSERT INTO messages VALUES ('msg_a', 'ses_old', 'usr_old', 'msg_u', 'assistant', 'old answer', 'complete', 'demo', 'assistant',
                        'stop', 11, 7, NULL, NULL, NULL, NULL, 1, false, '2026-01-01 00:00:00Z', '2026-01-01 00:00:01Z');
                    INSERT INTO stream_events VALUES ('msg_a', 1, 'delta', '{"{"}"content":"old answer"{"}"}');
                    INSERT INTO stream_events VALUES ('msg_a', 2, 'done', '{"{"}"status":"complete","finishReason":"stop","usage":null,"error":null{"}"}');
                    """, connection);
                await command.ExecuteNonQueryAsync();
            }

            await using var app = new ParleyApp(new Dictionary<string, string?> { ["ConnectionStrings:Parley"] = database });
            using var client = app.NewClient();
            await client.PostAsync("/api/auth/login", new { username = "olduser", password = "password123" }, System.Net.HttpStatusCode.OK);

            Assert.Equal("Kept title", (await client.GetAsync("/api/sessions/ses_old")).Str("title"));
            var messages = await client.GetAsync("/api/sessions/ses_old/messages");
            Assert.Equal(["old question", "old answer"], messages.GetProperty("items").EnumerateArray().Select(m => m.Str("content")));
            var replay = await client.ReadStreamAsync("msg_a");
            Assert.Equal("old answer", replay.Single(e => e.Event == "delta").Json.Str("content"));

            // Version 2 carried the old reply's usage into the usage table.
            var usage = await client.GetAsync("/api/me/usage?from=2025-12-01&to=2026-02-01");
            Assert.Equal(11, usage.GetProperty("promptTokens").GetInt64());
            Assert.Equal(7, usage.GetProperty("completionTokens").GetInt64());

            var ready = await client.GetAsync("/health/ready");
            Assert.Equal(SchemaMigrator.LatestVersion(DatabaseKind.Postgres), ready.GetProperty("schemaVersion").GetInt32());

            var reply = await client.ChatAsync("ses_old", "new question");
            Assert.Contains("2 earlier messages", reply.Str("content"));
        }
        finally
        {
            PostgresCluster.Shared.DropDatabase(database);
        }
    }

    [Fact]
    public async Task Migrating_twice_changes_nothing()
    {
        await using var app = new ParleyApp();
        app.StartServer();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<SchemaMigrator>().MigrateAsync(CancellationToken.None);
        }
        await using var connection = new NpgsqlConnection(app.DatabasePath + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT COUNT(*), MAX(version) FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(SchemaMigrator.ScriptsFor(DatabaseKind.Postgres).Count, reader.GetInt64(0));
        Assert.Equal(SchemaMigrator.LatestVersion(DatabaseKind.Postgres), reader.GetInt32(1));
    }
}
