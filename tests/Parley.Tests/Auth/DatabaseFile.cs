using Microsoft.Data.Sqlite;

namespace Parley.Tests.Auth;

// Reads the test server's SQLite file directly, to check what is really stored.
public static class DatabaseFile
{
    public static List<object?[]> Query(string path, string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
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
}
