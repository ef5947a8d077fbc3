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

    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            await _tcs.Task.WaitAsync(timeout, ct);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
