namespace Parley.Server.Storage;

internal enum DatabaseKind
{
    Sqlite,
    Postgres,
}

internal sealed record DatabaseTarget(DatabaseKind Kind, string ConnectionString)
{
    public const string DefaultConnectionString = "Data Source=data/parley.db";

    // SPEC §1: a "Host=" string selects PostgreSQL, anything else is a SQLite "Data Source=" string.
    public static DatabaseTarget From(string? connectionString)
    {
        var value = string.IsNullOrWhiteSpace(connectionString) ? DefaultConnectionString : connectionString.Trim();
        var isPostgres = value.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            || value.Contains("Server=", StringComparison.OrdinalIgnoreCase);
        return new DatabaseTarget(isPostgres ? DatabaseKind.Postgres : DatabaseKind.Sqlite, value);
    }
}
