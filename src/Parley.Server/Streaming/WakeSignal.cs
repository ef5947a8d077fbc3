namespace Parley.Server.Streaming;

// An auto-reset wake-up with no payload. Set() calls coalesce, so a reader that falls behind holds one
// pending wake-up, never a queue of them: its memory does not grow with the writer's speed.
internal sealed class WakeSignal
{
    private volatile TaskCompletionSource _tcs = NewSource();

    public void Set() => _tcs.TrySetResult();

    // Call before reading the data the signal guards; a Set() after this point wakes the next wait.
    public void Reset()
    {
        var current = _tcs;
        if (current.Task.IsCompleted) Interlocked.CompareExchange(ref _tcs, NewSource(), current);
    }

    // True when woken, false when the timeout passed first. A timeout is the common case of an idle reader,
    // so it is not thrown: an exception per quiet poll cost more than the wait itself.
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        var waiting = _tcs.Task.WaitAsync(timeout, ct);
        await waiting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (waiting.IsCanceled) ct.ThrowIfCancellationRequested();
        return waiting.IsCompletedSuccessfully;
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
