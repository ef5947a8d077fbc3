using Parley.Server.Generation;
using Parley.Server.Storage;

namespace Parley.Server.Streaming;

// The events of one reply on their way to the store: it numbers them and keeps them until EventFlusher
// commits them together with those of the other live replies.
internal sealed class StreamEventWriter : IAsyncDisposable
{
    // A generator that outruns the database waits once this many events are pending.
    private const int MaxPending = 4_096;

    private readonly EventFlusher _flusher;
    private readonly Lock _lock = new();
    private List<StreamEvent> _pending = [];
    // The list of the last committed batch, emptied, to be the next pending one: a flush takes about one event
    // per reply at 50 tokens a second, so a new list per batch would be a list and an array per token.
    private List<StreamEvent>? _spare;
    private long _nextSeq;
    private bool _wroteText;

    public StreamEventWriter(string messageId, long lastStoredSeq, EventFlusher flusher, JobLease? lease = null)
    {
        MessageId = messageId;
        Lease = lease;
        _nextSeq = lastStoredSeq + 1;
        _flusher = flusher;
        flusher.Register(this);
    }

    public string MessageId { get; }

    // The worker's lease on the reply: its events are written only while the job row still carries it.
    public JobLease? Lease { get; }

    // Held while this reply's events are being written, so they commit in order and before its `done`.
    internal SemaphoreSlim FlushGate { get; } = new(1, 1);

    public async ValueTask AppendAsync(string kind, string data)
    {
        int count;
        lock (_lock)
        {
            _pending.Add(new StreamEvent { MessageId = MessageId, Seq = _nextSeq++, Kind = kind, Data = data });
            count = _pending.Count;
        }
        // The first token is what a user waits for: this reply's events are written at once, on their own, not
        // at the next tick and not behind the other replies' shared commit. Later tokens ride that commit.
        var firstText = kind == StreamEventKinds.Delta && !_wroteText;
        _wroteText |= firstText;
        if (firstText) await _flusher.FlushNowAsync(this);
        else if (count >= MaxPending) await _flusher.FlushAsync([this]);
        else if (count >= _flusher.BatchSize || (count == 1 && _flusher.IsQuiet)) _flusher.Wake();
    }

    // Stops the flushing of this reply and hands back the events not yet written, so the caller can commit
    // them in the same transaction as the reply's final state.
    public async Task<List<StreamEvent>> StopAsync()
    {
        _flusher.Unregister(this);
        await FlushGate.WaitAsync();
        try
        {
            return TakePending();
        }
        finally
        {
            FlushGate.Release();
        }
    }

    internal List<StreamEvent> TakePending()
    {
        lock (_lock)
        {
            var batch = _pending;
            _pending = _spare ?? [];
            _spare = null;
            return batch;
        }
    }

    // Takes back a batch taken by TakePending once it is committed and published, and nothing holds it any more.
    internal void Recycle(List<StreamEvent> batch)
    {
        batch.Clear();
        lock (_lock) _spare ??= batch;
    }

    // Puts back a batch that failed to commit, ahead of anything appended since, so the order is kept.
    internal void ReturnPending(List<StreamEvent> batch)
    {
        lock (_lock) _pending.InsertRange(0, batch);
    }

    public ValueTask DisposeAsync()
    {
        _flusher.Unregister(this);
        return ValueTask.CompletedTask;
    }
}
