using Microsoft.Data.Sqlite;

namespace Parley.Bench.Scenarios;

// Fills a running server's SQLite database directly, which takes a second where the API would take minutes.
// Each seeded row copies a row the server wrote itself, so every column has the server's own format.
internal static class Seeder
{
    // Adds `turns` earlier turns (a user message and its reply each) before the session's first turn.
    public static void AddTurns(string databasePath, string sessionId, int turns)
    {
        using var db = Open(databasePath);
        using var tx = db.BeginTransaction();
        var shift = Command(db, tx, "UPDATE messages SET ordinal = ordinal + $turns WHERE session_id = $session");
        shift.Parameters.AddWithValue("$turns", turns);
        shift.Parameters.AddWithValue("$session", sessionId);
        shift.ExecuteNonQuery();

        var copy = Command(db, tx, """
            INSERT INTO messages (id, session_id, user_id, parent_id, role, content, status, model, persona_id, finish_reason,
                prompt_tokens, completion_tokens, error_code, error_message, tool_calls, client_message_id, ordinal, superseded,
                created_at, completed_at)
            SELECT id || '_' || $n, session_id, user_id, NULL, role, content || ' ' || $n, status, model, persona_id, finish_reason,
                prompt_tokens, completion_tokens, error_code, error_message, tool_calls, NULL, $n, superseded, created_at, completed_at
            FROM messages WHERE session_id = $session AND ordinal = $turns
            """);
        var n = copy.Parameters.Add("$n", SqliteType.Integer);
        copy.Parameters.AddWithValue("$session", sessionId);
        copy.Parameters.AddWithValue("$turns", turns);
        for (var i = 0; i < turns; i++)
        {
            n.Value = i;
            copy.ExecuteNonQuery();
        }

        var session = Command(db, tx, "UPDATE sessions SET next_ordinal = next_ordinal + $turns, message_count = message_count + 2 * $turns WHERE id = $session");
        session.Parameters.AddWithValue("$turns", turns);
        session.Parameters.AddWithValue("$session", sessionId);
        session.ExecuteNonQuery();
        tx.Commit();
    }

    // Adds `count` sessions to the owner of the given one.
    public static void AddSessions(string databasePath, string templateSessionId, int count)
    {
        using var db = Open(databasePath);
        using var tx = db.BeginTransaction();
        var copy = Command(db, tx, """
            INSERT INTO sessions (id, user_id, title, auto_title, persona_id, model, system_prompt, created_at, updated_at,
                message_count, next_ordinal, active_reply_id)
            SELECT id || '_' || $n, user_id, title || ' ' || $n, auto_title, persona_id, model, system_prompt, created_at, updated_at, 0, 0, NULL
            FROM sessions WHERE id = $template
            """);
        var n = copy.Parameters.Add("$n", SqliteType.Integer);
        copy.Parameters.AddWithValue("$template", templateSessionId);
        for (var i = 0; i < count; i++)
        {
            n.Value = i;
            copy.ExecuteNonQuery();
        }
        tx.Commit();
    }

    private static SqliteConnection Open(string path)
    {
        var db = new SqliteConnection($"Data Source={path};Pooling=false");
        db.Open();
        using var wait = db.CreateCommand();
        wait.CommandText = "PRAGMA busy_timeout = 30000";
        wait.ExecuteNonQuery();
        return db;
    }

    private static SqliteCommand Command(SqliteConnection db, SqliteTransaction tx, string sql)
    {
        var command = db.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command;
    }
}
