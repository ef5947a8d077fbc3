using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Parley.Server.Cluster;
using Parley.Server.Generation;
using Parley.Server.Infrastructure;
using Parley.Server.Storage;

namespace Parley.Server.Streaming;

// Writes the pending events of every live reply on this node in one transaction, every FlushIntervalMs (sooner
// when a reply's batch fills up, or when the first event after a quiet interval arrives). A reply's first token
// is written at once on its own (FlushNowAsync), so it never waits for the tick or for the others' batch. One
// commit per interval for all replies, instead of one per reply, keeps SQLite's single writer free for sends.
// Events are published to live readers only after their batch commits.
//
// Durability window: events not yet flushed (at most one interval, 20 ms by default) are lost if the process
// dies. Nothing a reader has seen is ever lost, because readers only see committed events; and a reply
// interrupted by a crash is regenerated after a `reset` event, so the lost tail is never needed.
//
// Each batch is fenced (JobFence): the events of a reply whose job this node no longer holds are dropped, not
// written. On PostgreSQL the fence, the rows and one NOTIFY naming the replies go in one round trip
// (StreamEventStore.InsertFencedAsync), which wakes those replies' readers on the other nodes when it commits.
internal sealed class EventFlusher(
    IDbContextFactory<ParleyDb> dbs,
    DatabaseTarget target,
    WriteGate writes,
    LiveStreams live,
    ClusterNotifier cluster,
    IOptions<StreamingOptions> options,
    ILogger<EventFlusher> logger) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly HashSet<StreamEventWriter> _writers = [];
    private readonly WakeSignal _wake = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _lastFlush = Stopwatch.GetTimestamp();

    public TimeSpan Interval { get; } = TimeSpan.FromMilliseconds(options.Value.FlushIntervalMs);

    public int BatchSize { get; } = options.Value.FlushBatchSize;

    public bool IsQuiet => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastFlush)) >= Interval;

    public void Register(StreamEventWriter writer)
    {
        lock (_lock)
        {
            _writers.Add(writer);
            _loop ??= Detached.Run(LoopAsync);
        }
    }

    public void Unregister(StreamEventWriter writer)
    {
        lock (_lock) _writers.Remove(writer);
    }

    public void Wake() => _wake.Set();

    // Writes one reply's pending events now, apart from the shared batch. A failure leaves them pending for the
    // loop, which retries them on its next tick.
    public async Task FlushNowAsync(StreamEventWriter writer)
    {
        try
        {
            await FlushAsync([writer]);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Writing stream events for {MessageId} failed; retrying on the next tick", writer.MessageId);
            Wake();
        }
    }

    // Not cancellable: a write cut off half-way would leave it unknown whether the batch committed. Each
    // writer's gate is held from taking its events until they are committed and published, so a reply that
    // ends meanwhile waits for them and its `done` always follows them.
    public async Task FlushAsync(IReadOnlyList<StreamEventWriter> writers)
    {
        var taken = new List<(StreamEventWriter Writer, List<StreamEvent> Batch)>(writers.Count);
        try
        {
            foreach (var writer in writers)
            {
                await writer.FlushGate.WaitAsync();
                var batch = writer.TakePending();
                if (batch.Count == 0)
                {
                    writer.FlushGate.Release();
                    continue;
                }
                taken.Add((writer, batch));
            }
            if (taken.Count == 0) return;

            try
            {
                var written = await InsertAsync(taken);
                foreach (var (writer, batch) in taken)
                {
                    if (written.Contains(writer.MessageId)) live.Publish(writer.MessageId, batch);
                    // Written or dropped by the fence, the batch is done with: the live buffer copied its events.
                    writer.Recycle(batch);
                }
            }
            catch (Exception) when (taken.Count > 1)
            {
                // One reply's rows can fail on their own (its session was deleted meanwhile): write the others apart.
                foreach (var (writer, batch) in taken) await FlushOneAsync(writer, batch);
                return;
            }
            catch (Exception)
            {
                taken[0].Writer.ReturnPending(taken[0].Batch);
                throw;
            }
            Volatile.Write(ref _lastFlush, Stopwatch.GetTimestamp());
        }
        finally
        {
            foreach (var (writer, _) in taken) writer.FlushGate.Release();
        }
    }

    private async Task FlushOneAsync(StreamEventWriter writer, List<StreamEvent> batch)
    {
        try
        {
            if ((await InsertAsync([(writer, batch)])).Contains(writer.MessageId)) live.Publish(writer.MessageId, batch);
        }
        catch (Exception ex)
        {
            // Kept for the next flush; a reply whose message is gone fails for good, and its generator notices
            // when it finishes.
            writer.ReturnPending(batch);
            logger.LogWarning(ex, "Writing stream events for {MessageId} failed; retrying", writer.MessageId);
        }
    }

    // Writes the batches whose replies this node still holds, in one transaction; returns those replies.
    private async Task<HashSet<string>> InsertAsync(List<(StreamEventWriter Writer, List<StreamEvent> Batch)> taken)
    {
        await using var db = await dbs.CreateDbContextAsync();
        if (target.Kind == DatabaseKind.Postgres) return LogDropped(taken, await StreamEventStore.InsertFencedAsync(db, taken, cluster));
        using (await writes.EnterAsync(CancellationToken.None))
        {
            await using var tx = await db.Database.BeginTransactionAsync(CancellationToken.None);
            var leases = taken.Where(t => t.Writer.Lease is not null).Select(t => t.Writer.Lease!).ToList();
            var kept = await JobFence.HeldAsync(db, target, leases, CancellationToken.None);
            foreach (var (writer, _) in taken) if (writer.Lease is null) kept.Add(writer.MessageId);
            await StreamEventStore.InsertAsync(db, taken.Where(t => kept.Contains(t.Writer.MessageId)).SelectMany(t => t.Batch).ToList(), CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
            return LogDropped(taken, kept);
        }
    }

    private HashSet<string> LogDropped(List<(StreamEventWriter Writer, List<StreamEvent> Batch)> taken, HashSet<string> written)
    {
        foreach (var (writer, _) in taken.Where(t => !written.Contains(t.Writer.MessageId)))
        {
            logger.LogWarning("Dropped stream events of reply {MessageId}: this node no longer holds its job", writer.MessageId);
        }
        return written;
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(Interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            // Reset after the wait, not before it: a wake-up that arrives while a batch is being written (a
            // reply's batch filled up) starts the next batch at once instead of being lost until the next tick.
            _wake.Reset();
            StreamEventWriter[] writers;
            lock (_lock) writers = [.. _writers];
            if (writers.Length == 0) continue;
            try
            {
                await FlushAsync(writers);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Writing stream events failed; retrying on the next tick");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _stop.Dispose();
        _wake.Dispose();
    }
}
