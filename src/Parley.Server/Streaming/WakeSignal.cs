using System.Diagnostics;
using System.Threading.Tasks.Sources;

namespace Parley.Server.Streaming;

// An auto-reset wake-up with no payload, for one waiter at a time. Set() calls coalesce, so a reader that falls
// behind holds one pending wake-up, never a queue of them: its memory does not grow with the writer's speed.
//
// A wait allocates nothing: it completes one reusable source, and its timeout re-arms the signal's one timer.
// Every reader waits once per flush of its reply, and Task.WaitAsync with a timeout made a timer, a promise
// and a state machine per wait: about a tenth of the server's allocated bytes at 100 chat replies (gc-verbose).
internal sealed class WakeSignal : IValueTaskSource<bool>, IDisposable
{
    private readonly Lock _lock = new();
    private ManualResetValueTaskSourceCore<bool> _source = new() { RunContinuationsAsynchronously = true };
    private Timer? _timer;
    private CancellationTokenRegistration _cancellation;
    private long _deadline;
    private bool _set;
    private bool _waiting;
    private bool _disposed;

    public void Set()
    {
        lock (_lock)
        {
            _set = true;
            if (_waiting) Complete(true);
        }
    }

    // Call before reading the data the signal guards; a Set() after this point wakes the next wait.
    public void Reset()
    {
        lock (_lock) _set = false;
    }

    // True when woken, false when the timeout passed first. A timeout is the common case of an idle reader,
    // so it is not thrown: an exception per quiet poll cost more than the wait itself.
    public ValueTask<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_waiting) throw new InvalidOperationException("A wake-up signal has one waiter at a time.");
            if (_set) return ValueTask.FromResult(true);
            ct.ThrowIfCancellationRequested();

            _source.Reset();
            _waiting = true;
            _deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            _timer ??= NewTimer();
            _timer.Change(timeout, Timeout.InfiniteTimeSpan);
            // Lock is re-entrant: a token cancelled just now runs Cancelled here, and the wait ends cancelled.
            _cancellation = ct.UnsafeRegister(static (state, token) => ((WakeSignal)state!).Cancelled(token), this);
            return new ValueTask<bool>(this, _source.Version);
        }
    }

    // Without the first waiter's execution context: the timer outlives that wait, and its callback needs none.
    private Timer NewTimer()
    {
        using (ExecutionContext.SuppressFlow()) return new Timer(static state => ((WakeSignal)state!).TimedOut(), this, Timeout.Infinite, Timeout.Infinite);
    }

    // A callback before the deadline (the timer's coarser clock, or a callback of the previous wait already on its
    // way when the timer was re-armed) sets the timer again for the time that is left.
    private void TimedOut()
    {
        lock (_lock)
        {
            if (!_waiting) return;
            var left = _deadline - Stopwatch.GetTimestamp();
            if (left <= 0) Complete(false);
            else _timer!.Change(Math.Max(1, (long)Math.Ceiling(left * 1000.0 / Stopwatch.Frequency)), Timeout.Infinite);
        }
    }

    private void Cancelled(CancellationToken token)
    {
        lock (_lock)
        {
            if (!_waiting) return;
            End();
            _source.SetException(new OperationCanceledException(token));
        }
    }

    // Under the lock. The continuation runs on the thread pool, never inline under it.
    private void Complete(bool woken)
    {
        End();
        _source.SetResult(woken);
    }

    private void End()
    {
        _waiting = false;
        _timer!.Change(Timeout.Infinite, Timeout.Infinite);
        // Not Dispose: that waits for a callback that is running, and the callback waits for this lock.
        _cancellation.Unregister();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            if (_waiting)
            {
                End();
                _source.SetException(new ObjectDisposedException(nameof(WakeSignal)));
            }
            _timer?.Dispose();
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);
}
