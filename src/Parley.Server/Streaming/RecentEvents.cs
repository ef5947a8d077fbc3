using Parley.Server.Storage;

namespace Parley.Server.Streaming;

// The newest events of one live reply, at most `capacity`, in one contiguous run of sequence numbers: a ring
// that grows by doubling up to its capacity, then overwrites its oldest. Because the run is contiguous, the
// events after a position are found by arithmetic, so appending and reading cost what they copy, not the
// buffer's length (a queue walked whole on every read of every reader, and on every append to find its last).
// Events every reader has taken can be dropped from the front; the run still knows where it ends, so a reader
// that has read everything is told so without a look in the store.
// Not thread-safe: LiveReply holds its lock around it.
internal sealed class RecentEvents(int capacity)
{
    private StreamEvent[] _ring = new StreamEvent[Math.Min(capacity, 16)];
    private int _start;
    private int _count;
    // The sequence number after the run's last event, once an event has been appended since the last clearing.
    private long? _next;

    public int Count => _count;

    public void Append(IReadOnlyList<StreamEvent> events)
    {
        if (events.Count == 0) return;
        // A gap starts the run afresh.
        if (_next is { } next && events[0].Seq != next) Clear();
        for (var i = 0; i < events.Count; i++) Add(events[i]);
    }

    // Adds the events after `after` to `into`; false when the run starts later, so it cannot prove it holds them all.
    public bool TryReadAfter(long after, List<StreamEvent> into)
    {
        if (_next is not { } next) return false;
        var skip = after + 1 - (next - _count);
        if (skip < 0) return false;
        for (var i = (int)Math.Min(skip, _count); i < _count; i++) into.Add(At(i));
        return true;
    }

    // Lets go of the events up to and including `seq`.
    public void DropThrough(long seq)
    {
        while (_count > 0 && _next - _count <= seq)
        {
            _ring[_start] = null!;
            _start = (_start + 1) % _ring.Length;
            _count--;
        }
    }

    public void Clear()
    {
        Array.Clear(_ring);
        (_start, _count, _next) = (0, 0, null);
    }

    private StreamEvent At(int index) => _ring[(_start + index) % _ring.Length];

    private void Add(StreamEvent e)
    {
        _next = e.Seq + 1;
        if (_count == _ring.Length && _ring.Length < capacity) Grow();
        if (_count < _ring.Length)
        {
            _ring[(_start + _count) % _ring.Length] = e;
            _count++;
        }
        else
        {
            _ring[_start] = e;
            _start = (_start + 1) % _ring.Length;
        }
    }

    private void Grow()
    {
        var larger = new StreamEvent[Math.Min(capacity, _ring.Length * 2)];
        for (var i = 0; i < _count; i++) larger[i] = At(i);
        (_ring, _start) = (larger, 0);
    }
}
