using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Parley.Server.Auth;
using Parley.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Storage;

public sealed class MigrationTests
{
    [Fact]
    public async Task A_database_at_the_first_schema_version_is_upgraded_at_startup_without_losing_data()
    {
        var folder = Path.Combine(Path.GetTempPath(), "parley-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "old.db");
        var hash = new PasswordHasher(Options.Create(new AuthOptions { PasswordIterations = 10_000 })).Hash("password123");

        // A database as the first release left it: schema version 1, with a user, a session and a finished reply.
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            var first = SchemaMigrator.ScriptsFor(DatabaseKind.Sqlite).First();
            Assert.Equal(1, first.Version);
            await using var command = connection.CreateCommand();
            command.CommandText = first.Sql + $"""
                CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
                INSERT INTO schema_migrations VALUES (1, 'initial', '2026-01-01T00:00:00Z');
                INSERT INTO users VALUES ('usr_old', 'olduser', 'olduser', '{hash}', 1, '2026-01-01 00:00:00');
                INSERT INTO sessions VALUES ('ses_old', 'usr_old', 'Kept title', 0, 'assistant', 'demo', NULL,
                    '2026-01-01 00:00:00', '2026-01-01 00:00:01', 2, 1, NULL);
                INSERT INTO messages VALUES ('msg_u', 'ses_old', 'usr_old', NULL, 'user', 'old question', 'complete', NULL, 'assistant',
                    NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00');
                INSERT INTO messages VALUES ('msg_a', 'ses_old', 'usr_old', 'msg_u', 'assistant', 'old answer', 'complete', 'demo', 'assistant',
                    'stop', 11, 7, NULL, NULL, NULL, NULL, 1, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:01');
                INSERT INTO stream_events VALUES ('msg_a', 1, 'delta', '{"{"}"content":"old answer"{"}"}');
                INSERT INTO stream_events VALUES ('msg_a', 2, 'done', '{"{"}"status":"complete","finishReason":"stop","usage":null,"error":null{"}"}');
                """;
            await command.ExecuteNonQueryAsync();
        }

        await using var app = new ParleyApp(new Dictionary<string, string?> { ["ConnectionStrings:Parley"] = $"Data Source={path}" });
        using var client = app.NewClient();
        await client.PostAsync("/api/auth/login", new { username = "olduser", password = "password123" }, System.Net.HttpStatusCode.OK);

        var session = await client.GetAsync("/api/sessions/ses_old");
        Assert.Equal("Kept title", session.Str("title"));
        var messages = await client.GetAsync("/api/sessions/ses_old/messages");
        Assert.Equal(["old question", "old answer"], messages.GetProperty("items").EnumerateArray().Select(m => m.Str("content")));
        var replay = await client.ReadStreamAsync("msg_a");
        Assert.Equal("old answer", replay.Single(e => e.Event == "delta").Json.Str("content"));

        // Version 2 carried the old reply's usage into the new usage table.
        var usage = await client.GetAsync("/api/me/usage?from=2025-12-01&to=2026-02-01");
        Assert.Equal(11, usage.GetProperty("promptTokens").GetInt64());
        Assert.Equal(7, usage.GetProperty("completionTokens").GetInt64());

        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(SchemaMigrator.LatestVersion(DatabaseKind.Sqlite), ready.GetProperty("schemaVersion").GetInt32());
        Assert.True(SchemaMigrator.LatestVersion(DatabaseKind.Sqlite) >= 2);

        // The old session keeps working: a new turn sees the old one in its context.
        var reply = await client.ChatAsync("ses_old", "new question");
        Assert.Contains("2 earlier messages", reply.Str("content"));
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
        await using var connection = new SqliteConnection($"Data Source={app.DatabasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*), MAX(version) FROM schema_migrations";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(SchemaMigrator.ScriptsFor(DatabaseKind.Sqlite).Count, reader.GetInt32(0));
        Assert.Equal(SchemaMigrator.LatestVersion(DatabaseKind.Sqlite), reader.GetInt32(1));
    }
}
