using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Parley.Server.Storage;

namespace Parley.Server.Streaming;

// Writes the pending events of every live reply on this node in one transaction, every FlushIntervalMs (sooner
// when a reply's batch fills up, or when the first event after a quiet interval arrives, so a first token is
// not held back). One commit per interval for all replies, instead of one per reply, keeps SQLite's single
// writer free for sends. Events are published to live readers only after their batch commits.
//
// Durability window: events not yet flushed (at most one interval, 50 ms by default) are lost if the process
// dies. Nothing a reader has seen is ever lost, because readers only see committed events; and a reply
// interrupted by a crash is regenerated after a `reset` event, so the lost tail is never needed.
internal sealed class EventFlusher(
    IDbContextFactory<ParleyDb> dbs,
    WriteGate writes,
    LiveStreams live,
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
            _loop ??= Task.Run(LoopAsync);
        }
    }

    public void Unregister(StreamEventWriter writer)
    {
        lock (_lock) _writers.Remove(writer);
    }

    public void Wake() => _wake.Set();

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
                await InsertAsync(taken.SelectMany(t => t.Batch).ToList());
                foreach (var (writer, batch) in taken) live.Publish(writer.MessageId, batch);
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
            await InsertAsync(batch);
            live.Publish(writer.MessageId, batch);
        }
        catch (Exception ex)
        {
            // Kept for the next flush; a reply whose message is gone fails for good, and its generator notices
            // when it finishes.
            writer.ReturnPending(batch);
            logger.LogWarning(ex, "Writing stream events for {MessageId} failed; retrying", writer.MessageId);
        }
    }

    private async Task InsertAsync(List<StreamEvent> events)
    {
        await using var db = await dbs.CreateDbContextAsync();
        using (await writes.EnterAsync(CancellationToken.None))
        {
            await StreamEventStore.InsertAsync(db, events, CancellationToken.None);
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            _wake.Reset();
            try
            {
                await _wake.WaitAsync(Interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
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
    }
}
