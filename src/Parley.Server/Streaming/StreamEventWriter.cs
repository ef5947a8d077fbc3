using Microsoft.EntityFrameworkCore;
using Parley.Server.Storage;

namespace Parley.Server.Streaming;

// Persists one reply's events in batches: one transaction per FlushIntervalMs or FlushBatchSize events,
// never one per token. The first event after a quiet interval is written at once (so the first token is not
// held back), and the events that follow it within the interval are batched. Events are published to live
// readers only after their batch commits.
//
// Durability window: events not yet flushed (at most one interval, 50 ms by default) are lost if the process
// dies. Nothing a reader has seen is ever lost, because readers only see committed events; and a reply
// interrupted by a crash is regenerated after a `reset` event, so the lost tail is never needed.
internal sealed class StreamEventWriter : IAsyncDisposable
{
    // A generator that outruns the database waits once this many events are pending.
    private const int MaxPending = 4_096;

    private readonly string _messageId;
    private readonly IDbContextFactory<ParleyDb> _dbs;
    private readonly WriteGate _writes;
    private readonly LiveStreams _live;
    private readonly ILogger _logger;
    private readonly int _batchSize;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly WakeSignal _batchFull = new();
    private readonly Task _loop;
    private List<StreamEvent> _pending = [];
    private long _nextSeq;
    private readonly TimeSpan _interval;
    private long _lastFlush = System.Diagnostics.Stopwatch.GetTimestamp();

    public StreamEventWriter(string messageId, long lastStoredSeq, IDbContextFactory<ParleyDb> dbs, WriteGate writes, LiveStreams live,
        StreamingOptions options, ILogger logger)
    {
        _writes = writes;
        _messageId = messageId;
        _nextSeq = lastStoredSeq + 1;
        _dbs = dbs;
        _live = live;
        _logger = logger;
        _batchSize = options.FlushBatchSize;
        _interval = TimeSpan.FromMilliseconds(options.FlushIntervalMs);
        _loop = FlushLoopAsync(_interval);
    }

    public long NextSeq
    {
        get { lock (_lock) return _nextSeq; }
    }

    public async ValueTask AppendAsync(string kind, string data)
    {
        int count;
        lock (_lock)
        {
            _pending.Add(new StreamEvent { MessageId = _messageId, Seq = _nextSeq++, Kind = kind, Data = data });
            count = _pending.Count;
        }
        if (count >= _batchSize || (count == 1 && System.Diagnostics.Stopwatch.GetElapsedTime(Volatile.Read(ref _lastFlush)) >= _interval)) _batchFull.Set();
        if (count >= MaxPending) await FlushAsync();
    }

    // Stops the background flushing and hands back the events not yet written, so the caller can commit them
    // in the same transaction as the reply's final state.
    public async Task<List<StreamEvent>> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        await _flushGate.WaitAsync();
        try
        {
            lock (_lock)
            {
                var rest = _pending;
                _pending = [];
                return rest;
            }
        }
        finally
        {
            _flushGate.Release();
        }
    }

    // Not cancellable: a write cut off half-way would leave it unknown whether the batch committed.
    public async Task FlushAsync()
    {
        await _flushGate.WaitAsync();
        try
        {
            List<StreamEvent> batch;
            lock (_lock)
            {
                if (_pending.Count == 0) return;
                batch = _pending;
                _pending = [];
            }
            try
            {
                await using var db = await _dbs.CreateDbContextAsync();
                using (await _writes.EnterAsync(CancellationToken.None))
                {
                    await StreamEventStore.InsertAsync(db, batch, CancellationToken.None);
                }
            }
            catch (Exception)
            {
                // Keep the batch for the next attempt; the order of events is preserved by prepending.
                lock (_lock) _pending.InsertRange(0, batch);
                throw;
            }
            Volatile.Write(ref _lastFlush, System.Diagnostics.Stopwatch.GetTimestamp());
            _live.Publish(_messageId, batch);
        }
        finally
        {
            _flushGate.Release();
        }
    }

    private async Task FlushLoopAsync(TimeSpan interval)
    {
        await Task.Yield();
        while (!_stop.IsCancellationRequested)
        {
            _batchFull.Reset();
            try
            {
                await _batchFull.WaitAsync(interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                await FlushAsync();
            }
            catch (Exception ex)
            {
                // A failed write is retried on the next tick; a reply whose message was deleted fails for good,
                // and the generator notices when it finishes.
                _logger.LogWarning(ex, "Writing stream events for {MessageId} failed; retrying", _messageId);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        try { await _loop; } catch (OperationCanceledException) { }
        _stop.Dispose();
        _flushGate.Dispose();
    }
}
