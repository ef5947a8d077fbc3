#if POSTGRES
using Npgsql;
#else
using Microsoft.Data.Sqlite;
#endif

namespace Parley.Tests.Auth;

// Reads the test server's database directly, to check what is really stored. `database` is the SQLite file, or
// on the PostgreSQL tier the connection string.
public static class DatabaseFile
{
    public static List<object?[]> Query(string database, string sql, params (string Name, object Value)[] parameters)
    {
#if POSTGRES
        using var connection = new NpgsqlConnection(database + ";Pooling=false");
#else
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
#endif
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    // Holds a write lock until disposed, so that a write to `table` waits for it and reads go on: on SQLite the
    // database's one write lock, on PostgreSQL an EXCLUSIVE lock on the table.
    public static IDisposable HoldWriteLock(string database, string table)
    {
#if POSTGRES
        var connection = new NpgsqlConnection(database + ";Pooling=false");
        connection.Open();
        var transaction = connection.BeginTransaction();
        using (var command = new NpgsqlCommand($"LOCK TABLE {table} IN EXCLUSIVE MODE", connection, transaction)) command.ExecuteNonQuery();
#else
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        connection.Open();
        var transaction = connection.BeginTransaction(deferred: false);
#endif
        return new Lock(connection, transaction);
    }

    private sealed class Lock(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction) : IDisposable
    {
        public void Dispose()
        {
            transaction.Rollback();
            connection.Dispose();
        }
    }

#if POSTGRES
    // Everything the database holds in its tables, every row as text, for searching.
    public static string RawText(string database)
    {
        var tables = Query(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").Select(r => (string)r[0]!);
        var text = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            foreach (var row in Query(database, $"SELECT t::text FROM \"{table}\" t")) text.AppendLine((string?)row[0]);
        }
        return text.ToString();
    }
#else
    // Every byte SQLite holds for the database (main file and write-ahead log), as Latin-1 text for searching.
    public static string RawText(string path)
    {
        var text = new System.Text.StringBuilder();
        foreach (var file in new[] { path, path + "-wal" }.Where(File.Exists))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            text.Append(System.Text.Encoding.Latin1.GetString(copy.ToArray()));
        }
        return text.ToString();
    }
#endif
}
