using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Parley.Server.Storage;

namespace Parley.Server.Streaming;

// The persisted event log of replies. Appending and reading events are the hottest paths of the server (one
// row per token, read by every reader), so they use plain SQL on the context's connection instead of EF
// change tracking and materialisation: a multi-row INSERT per batch, and a range scan on (message_id, seq).
internal sealed class StreamEventStore(IDbContextFactory<ParleyDb> dbs)
{
    public const int PageSize = 512;

    // Rows per INSERT statement: 4 parameters each, well under SQLite's and PostgreSQL's parameter limits.
    private const int RowsPerStatement = 256;

    public async Task<List<StreamEvent>> ReadAfterAsync(string messageId, long after, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, kind, data FROM stream_events WHERE message_id = @m AND seq > @a ORDER BY seq LIMIT " + PageSize;
        Add(command, "@m", messageId);
        Add(command, "@a", after);
        var events = new List<StreamEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            events.Add(new StreamEvent { MessageId = messageId, Seq = reader.GetInt64(0), Kind = reader.GetString(1), Data = reader.GetString(2) });
        }
        return events;
    }

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
            var transaction = db.Database.CurrentTransaction!.GetDbTransaction();
            for (var start = 0; start < events.Count; start += RowsPerStatement)
            {
                var count = Math.Min(RowsPerStatement, events.Count - start);
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                var sql = new StringBuilder("INSERT INTO stream_events (message_id, seq, kind, data) VALUES ");
                for (var i = 0; i < count; i++)
                {
                    var e = events[start + i];
                    if (i > 0) sql.Append(',');
                    sql.Append($"(@m{i}, @s{i}, @k{i}, @d{i})");
                    Add(command, $"@m{i}", e.MessageId);
                    Add(command, $"@s{i}", e.Seq);
                    Add(command, $"@k{i}", e.Kind);
                    Add(command, $"@d{i}", e.Data);
                }
                command.CommandText = sql.ToString();
                await command.ExecuteNonQueryAsync(ct);
            }
            if (own is not null) await own.CommitAsync(ct);
        }
        finally
        {
            if (own is not null) await own.DisposeAsync();
            await db.Database.CloseConnectionAsync();
        }
    }

    public async Task<long> LastSeqAsync(string messageId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.StreamEvents.Where(e => e.MessageId == messageId).MaxAsync(e => (long?)e.Seq, ct) ?? 0;
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

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private sealed record DeltaData(string Content);
}
