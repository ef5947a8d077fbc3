using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Parley.Server.Cluster;
using Parley.Server.Storage;

namespace Parley.Server.Streaming;

// The persisted event log of replies. Appending and reading events are the hottest paths of the server (one
// row per token, read by every reader), so they use plain SQL on the context's connection instead of EF
// change tracking and materialisation: one prepared INSERT per batch, and a range scan on (message_id, seq).
internal sealed class StreamEventStore(IDbContextFactory<ParleyDb> dbs)
{
    public const int PageSize = 512;

    public async Task<List<StreamEvent>> ReadAfterAsync(string messageId, long after, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = RawSql.Command(db, PageSql, ("@m", messageId), ("@a", after));
            await using var reader = await command.ExecuteReaderAsync(ct);
            var events = new List<StreamEvent>();
            while (await reader.ReadAsync(ct)) events.Add(ReadEvent(reader, messageId, 0));
            return events;
        }
        finally
        {
            // A pooled context keeps a connection it was left with (StorageExtensions).
            await db.Database.CloseConnectionAsync();
        }
    }

    // The status of one of the user's replies and the first page of its events after `after`, in one query, which
    // a stream opens with (on PostgreSQL the status and the page were two round trips on the way to the first
    // token). Null for someone else's message, a user message or no message, so that all of them answer alike.
    // Status and events come from one snapshot: a finished reply's page holds its `done`.
    public async Task<(string Status, List<StreamEvent> Events)?> OpenAsync(string messageId, string userId, long after, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = RawSql.Command(db, OpenSql, ("@m", messageId), ("@u", userId), ("@a", after));
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return null;
            var status = reader.GetString(0);
            var events = new List<StreamEvent>();
            if (reader.IsDBNull(1)) return (status, events);
            do events.Add(ReadEvent(reader, messageId, 1));
            while (await reader.ReadAsync(ct));
            return (status, events);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static readonly string PageSql = $"SELECT seq, kind, data FROM stream_events WHERE message_id = @m AND seq > @a ORDER BY seq LIMIT {PageSize}";

    // The page joined to its reply's row, one row with no event when the page is empty.
    private static readonly string OpenSql = $"""
        SELECT r.status, e.seq, e.kind, e.data FROM messages r
        LEFT JOIN ({PageSql}) e ON 1 = 1
        WHERE r.id = @m AND r.user_id = @u AND r.role = 'assistant'
        ORDER BY e.seq
        """;

    private static StreamEvent ReadEvent(DbDataReader reader, string messageId, int first) => new()
    {
        MessageId = messageId, Seq = reader.GetInt64(first), Kind = reader.GetString(first + 1), Data = reader.GetString(first + 2),
    };

    // Inserts events with the context's connection, inside its current transaction if it has one.
    public static async Task InsertAsync(ParleyDb db, IReadOnlyList<StreamEvent> events, CancellationToken ct)
    {
        if (events.Count == 0) return;
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        // Several statements must commit together: a batch is written whole or not at all, so a retry never
        // meets rows of its own first try.
        var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        try
        {
            if (connection is SqliteConnection sqlite) InsertRowByRow(sqlite, events);
            else await InsertAsArraysAsync(db, events, ct);
            if (own is not null) await own.CommitAsync(ct);
        }
        finally
        {
            if (own is not null) await own.DisposeAsync();
            await db.Database.CloseConnectionAsync();
        }
    }

    // PostgreSQL: a whole flush in one round trip, one implicit transaction. The fence (JobFence's rule: the job
    // row still carries the writer's lease, share-locked so that a claim by another node waits for the write)
    // and the insert are one statement, and the NOTIFY commands ride in the same batch. At one reply the five
    // round trips of BEGIN, fence, insert, notify and COMMIT took 2 to 15 ms on the bench's machine, and the first
    // token waits for its flush. The notification names every reply of the flush, even one that was fenced off:
    // its readers look, and find nothing new.
    public static async Task<HashSet<string>> InsertFencedAsync(ParleyDb db, IReadOnlyList<(StreamEventWriter Writer, List<StreamEvent> Batch)> taken,
        ClusterNotifier cluster)
    {
        var leased = taken.Where(t => t.Writer.Lease is not null).Select(t => t.Writer.Lease!).ToList();
        var events = taken.SelectMany(t => t.Batch).ToList();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        try
        {
            await using var batch = new NpgsqlBatch(connection);
            batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                WITH held AS (
                    SELECT j.message_id FROM reply_jobs j
                    JOIN unnest($1::text[], $2::text[], $3::int[]) AS l(message_id, owner, attempt) ON l.message_id = j.message_id
                    WHERE j.lease_owner = l.owner AND j.attempts = l.attempt
                    ORDER BY j.message_id
                    FOR SHARE OF j
                ), written AS (
                    INSERT INTO stream_events (message_id, seq, kind, data)
                    SELECT e.m, e.s, e.k, e.d FROM unnest($4::text[], $5::bigint[], $6::text[], $7::text[]) AS e(m, s, k, d)
                    WHERE e.m IN (SELECT message_id FROM held) OR e.m = ANY($8::text[])
                    RETURNING message_id
                )
                SELECT DISTINCT message_id FROM written
                """)
            {
                Parameters =
                {
                    new() { Value = leased.Select(l => l.MessageId).ToArray() },
                    new() { Value = leased.Select(l => l.Owner).ToArray() },
                    new() { Value = leased.Select(l => l.Attempt).ToArray() },
                    new() { Value = events.Select(e => e.MessageId).ToArray() },
                    new() { Value = events.Select(e => e.Seq).ToArray() },
                    new() { Value = events.Select(e => e.Kind).ToArray() },
                    new() { Value = events.Select(e => e.Data).ToArray() },
                    new() { Value = taken.Where(t => t.Writer.Lease is null).Select(t => t.Writer.MessageId).ToArray() },
                },
            });
            foreach (var notify in cluster.Commands(taken.Select(t => ClusterNotifier.Events(t.Writer.MessageId)))) batch.BatchCommands.Add(notify);

            var written = new HashSet<string>(StringComparer.Ordinal);
            await using var reader = await batch.ExecuteReaderAsync();
            while (await reader.ReadAsync()) written.Add(reader.GetString(0));
            return written;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    // PostgreSQL: the whole batch as four array parameters in one statement whose text never changes, so the
    // server parses and plans it once per connection however many rows a batch has.
    private static async Task InsertAsArraysAsync(ParleyDb db, IReadOnlyList<StreamEvent> events, CancellationToken ct)
    {
        await using var command = RawSql.Command(db, "INSERT INTO stream_events (message_id, seq, kind, data) SELECT * FROM unnest(@m, @s, @k, @d)",
            ("@m", events.Select(e => e.MessageId).ToArray()), ("@s", events.Select(e => e.Seq).ToArray()),
            ("@k", events.Select(e => e.Kind).ToArray()), ("@d", events.Select(e => e.Data).ToArray()));
        await command.ExecuteNonQueryAsync(ct);
    }

    // SQLite: one prepared single-row statement, stepped once per event and bound by index on SQLite's own handle
    // (SqliteStatement). One multi-row statement with hundreds of named parameters cost time in the square of
    // its rows instead: SQLite finds a name by a linear search (perf: strncmp under sqlite3VListNameToNum).
    private static void InsertRowByRow(SqliteConnection connection, IReadOnlyList<StreamEvent> events)
    {
        using var insert = SqliteStatement.Prepare(connection, "INSERT INTO stream_events (message_id, seq, kind, data) VALUES (?1, ?2, ?3, ?4)");
        for (var i = 0; i < events.Count; i++) // by index: foreach over the interface would box its enumerator
        {
            var e = events[i];
            insert.Bind(1, e.MessageId);
            insert.Bind(2, e.Seq);
            insert.Bind(3, e.Kind);
            insert.Bind(4, e.Data);
            insert.Step();
            insert.Reset();
        }
    }

    // The text of a reply still being written: the deltas after its last reset.
    public async Task<string> ContentSoFarAsync(string messageId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var lastReset = await db.StreamEvents
            .Where(e => e.MessageId == messageId && e.Kind == StreamEventKinds.Reset)
            .MaxAsync(e => (long?)e.Seq, ct) ?? 0;
        var deltas = await db.StreamEvents.AsNoTracking()
            .Where(e => e.MessageId == messageId && e.Seq > lastReset && e.Kind == StreamEventKinds.Delta)
            .OrderBy(e => e.Seq)
            .Select(e => e.Data)
            .ToListAsync(ct);
        return string.Concat(deltas.Select(d => System.Text.Json.JsonSerializer.Deserialize<DeltaData>(d, StreamPayloadsJson.Options)!.Content));
    }

    private sealed record DeltaData(string Content);
}
