using Microsoft.EntityFrameworkCore;
using Parley.Server.Storage;

namespace Parley.Server.Streaming;

// Reads the persisted event log of a reply. The (message_id, seq) key makes each read a range scan.
internal sealed class StreamEventStore(IDbContextFactory<ParleyDb> dbs)
{
    public const int PageSize = 512;

    public async Task<List<StreamEvent>> ReadAfterAsync(string messageId, long after, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.StreamEvents.AsNoTracking()
            .Where(e => e.MessageId == messageId && e.Seq > after)
            .OrderBy(e => e.Seq)
            .Take(PageSize)
            .ToListAsync(ct);
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
        return string.Concat(deltas.Select(d => System.Text.Json.JsonDocument.Parse(d).RootElement.GetProperty("content").GetString()));
    }
}
