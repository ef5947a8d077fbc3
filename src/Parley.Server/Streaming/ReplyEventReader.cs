using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Parley.Server.Generation;
using Parley.Server.Storage;

namespace Parley.Server.Streaming;

internal abstract record ReaderItem;

internal sealed record EventItem(StreamEvent Event) : ReaderItem;

internal sealed record StatusItem(string Status) : ReaderItem;

internal sealed record KeepAliveItem : ReaderItem
{
    public static readonly KeepAliveItem Instance = new();
}

// Follows one reply for one reader, from any sequence number to `done`, whatever the transport (SSE or
// WebSocket). The store is the source of truth: the reader reads committed events after its position, from
// the shared live buffer when that holds them and from the database when it does not. Wake-ups only tell it
// to look again, so a reader that is slow or resumes late just reads from further back, never gets a gap
// or a duplicate, and holds no queue of its own.
internal sealed class ReplyEventReader(
    StreamEventStore store,
    LiveStreams live,
    IDbContextFactory<ParleyDb> dbs,
    IOptions<StreamingOptions> options)
{
    // Opens a reader on one of the user's replies, from after `after`; null when the user has no such reply. The
    // live subscription is taken before the status and the first page are read, in one query, so that nothing
    // committed in between is missed.
    public async Task<ReplyReading?> OpenAsync(string messageId, string userId, long after, CancellationToken ct)
    {
        var subscription = live.Subscribe(messageId);
        try
        {
            if (await store.OpenAsync(messageId, userId, after, ct) is (var status, var firstPage))
            {
                return new ReplyReading(this, subscription, messageId, after, status, firstPage);
            }
        }
        catch
        {
            subscription.Dispose();
            throw;
        }
        subscription.Dispose();
        return null;
    }

    // The sequence in the batches it was read in, so that a transport can write a batch and flush once. The list
    // of a batch is refilled for the next one: a transport writes it before it asks for the next. (Two new lists
    // per wake-up of every reader were about 5 % of the server's allocated bytes at 100 chat replies.)
    internal async IAsyncEnumerable<IReadOnlyList<ReaderItem>> ReadBatchesAsync(LiveSubscription subscription, string messageId, long after,
        string currentStatus, List<StreamEvent>? firstPage, [EnumeratorCancellation] CancellationToken ct)
    {
        var settings = options.Value;
        var keepAlive = TimeSpan.FromSeconds(settings.KeepAliveSeconds);
        var poll = TimeSpan.FromMilliseconds(Math.Min(settings.PollIntervalMs, keepAlive.TotalMilliseconds));

        var batch = new List<ReaderItem>();
        string? statusSent = null;
        if (ReplyStatus.IsRunning(currentStatus))
        {
            statusSent = currentStatus;
            batch.Add(new StatusItem(currentStatus)); // written with the first page
        }

        var buffered = new List<StreamEvent>();
        var sinceOutput = Stopwatch.StartNew();
        var woke = false;
        // A finished reply has its `done` stored; a reader already past it has nothing more to wait for.
        var finished = !ReplyStatus.IsRunning(currentStatus);
        while (true)
        {
            // The first page was read after the subscription was taken: a wake-up since then stands.
            if (firstPage is null) subscription.Signal.Reset();
            var events = firstPage ?? (woke && subscription.TryReadAfter(after, buffered) ? buffered : await store.ReadAfterAsync(messageId, after, ct));
            firstPage = null;
            if (events.Count == 0 && finished) yield break;
            if (events.Count > 0)
            {
                var done = events.FindIndex(e => e.Kind == StreamEventKinds.Done);
                if (done >= 0) events.RemoveRange(done + 1, events.Count - done - 1);
                foreach (var e in events) batch.Add(new EventItem(e));
                yield return batch;
                batch.Clear();
                if (done >= 0) yield break;
                after = events[^1].Seq;
                sinceOutput.Restart();
                if (events.Count >= StreamEventStore.PageSize) continue;
            }
            else if (batch.Count > 0)
            {
                yield return batch; // the status alone
                batch.Clear();
            }

            if (subscription.LiveStatus is { } status && status != statusSent && ReplyStatus.IsRunning(status))
            {
                statusSent = status;
                yield return [new StatusItem(status)];
            }
            if (subscription.Deleted) yield break;

            // Never wait past the moment a keep-alive is due.
            var untilKeepAlive = keepAlive - sinceOutput.Elapsed;
            woke = await subscription.Signal.WaitAsync(untilKeepAlive < poll ? TimeSpan.FromTicks(Math.Max(untilKeepAlive.Ticks, TimeSpan.TicksPerMillisecond)) : poll, ct);
            if (woke) continue;

            if (sinceOutput.Elapsed >= keepAlive)
            {
                sinceOutput.Restart();
                yield return [KeepAliveItem.Instance];
            }
            var stored = await StatusAsync(messageId, ct);
            if (stored is null) yield break; // Deleted.
            finished = !ReplyStatus.IsRunning(stored);
        }
    }

    private async Task<string?> StatusAsync(string messageId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await ReplyStatusQueries.Of(db, messageId, ct);
    }
}

// One reader's hold on a reply, from ReplyEventReader.OpenAsync: its live subscription, and the status and first
// page read with it. Read it once; disposing it lets go of the subscription.
internal sealed class ReplyReading(ReplyEventReader reader, LiveSubscription subscription, string messageId, long after, string status,
    List<StreamEvent> firstPage) : IDisposable
{
    public IAsyncEnumerable<IReadOnlyList<ReaderItem>> ReadBatchesAsync(CancellationToken ct) =>
        reader.ReadBatchesAsync(subscription, messageId, after, status, firstPage, ct);

    public async IAsyncEnumerable<ReaderItem> ReadAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var batch in ReadBatchesAsync(ct))
        {
            for (var i = 0; i < batch.Count; i++) yield return batch[i];
        }
    }

    public void Dispose() => subscription.Dispose();
}
