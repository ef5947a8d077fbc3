using System.Data.Common;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;

namespace Parley.Server.Storage;

// Versioned, forward-only migrations: numbered SQL scripts embedded per database kind, applied in order at
// startup, each in its own transaction together with its row in schema_migrations. An existing database is
// upgraded by running only the scripts it has not seen.
internal sealed partial class SchemaMigrator(ParleyDb db, DatabaseTarget target, ILogger<SchemaMigrator> logger)
{
    internal sealed record Script(int Version, string Name, string Sql);

    // An arbitrary constant naming Parley's migration lock among PostgreSQL advisory locks.
    private const long MigrationLockKey = 7_346_001;

    public static IReadOnlyList<Script> ScriptsFor(DatabaseKind kind)
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var folder = $".Storage.Migrations.{kind}.";
        return assembly.GetManifestResourceNames()
            .Where(name => name.Contains(folder, StringComparison.Ordinal))
            .Select(name => (name, match: ScriptName().Match(name)))
            .Where(x => x.match.Success)
            .Select(x => new Script(int.Parse(x.match.Groups[1].Value), x.match.Groups[2].Value, Read(assembly, x.name)))
            .OrderBy(s => s.Version)
            .ToList();
    }

    public static int LatestVersion(DatabaseKind kind) => ScriptsFor(kind).Max(s => s.Version);

    public async Task MigrateAsync(CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            if (target.Kind == DatabaseKind.Sqlite) await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL;", ct);
            // Nodes of a cluster start together: one migrates while the others wait, then find nothing left to do.
            if (target.Kind == DatabaseKind.Postgres) await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({MigrationLockKey});", ct);
            await ExecuteAsync(connection, null,
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);", ct);

            var applied = await AppliedVersionsAsync(connection, ct);
            foreach (var script in ScriptsFor(target.Kind).Where(s => !applied.Contains(s.Version)))
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                await ExecuteAsync(connection, tx, script.Sql, ct);
                await using (var record = connection.CreateCommand())
                {
                    record.Transaction = tx;
                    record.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t)";
                    RawSql.Parameter(record, "@v", script.Version);
                    RawSql.Parameter(record, "@n", script.Name);
                    RawSql.Parameter(record, "@t", DateTime.UtcNow.ToString("O"));
                    await record.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
                logger.LogInformation("Applied schema migration {Version} {Name}", script.Version, script.Name);
            }
        }
        finally
        {
            if (target.Kind == DatabaseKind.Postgres && connection.State == System.Data.ConnectionState.Open)
                await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({MigrationLockKey});", CancellationToken.None);
            await db.Database.CloseConnectionAsync();
        }
    }

    public async Task<int> CurrentVersionAsync(CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var applied = await AppliedVersionsAsync(connection, ct);
            return applied.Count == 0 ? 0 : applied.Max();
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<HashSet<int>> AppliedVersionsAsync(DbConnection connection, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version FROM schema_migrations";
        var versions = new HashSet<int>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) versions.Add(Convert.ToInt32(reader.GetValue(0)));
        return versions;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"_?(\d{4})_([A-Za-z0-9_]+)\.sql$")]
    private static partial Regex ScriptName();
}
