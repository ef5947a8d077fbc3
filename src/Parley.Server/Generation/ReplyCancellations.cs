using System.Collections.Concurrent;

namespace Parley.Server.Generation;

// The cancellation sources of the replies this process is generating. A cancel that arrives before the
// generator registered (between claiming the job and starting) is remembered for a minute, so it is not lost.
internal sealed class ReplyCancellations(TimeProvider clock)
{
    private static readonly TimeSpan EarlyCancelLifetime = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<string, DateTime> _early = new();

    public CancellationTokenSource Register(string messageId)
    {
        var source = new CancellationTokenSource();
        _running[messageId] = source;
        if (_early.TryRemove(messageId, out _)) source.Cancel();
        return source;
    }

    public void Unregister(string messageId, CancellationTokenSource source)
    {
        _running.TryRemove(new KeyValuePair<string, CancellationTokenSource>(messageId, source));
    }

    // True when a generator in this process took the request.
    public bool RequestCancel(string messageId)
    {
        if (_running.TryGetValue(messageId, out var source))
        {
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
        var now = clock.GetUtcNow().UtcDateTime;
        _early[messageId] = now;
        foreach (var (id, at) in _early)
        {
            if (now - at > EarlyCancelLifetime) _early.TryRemove(id, out _);
        }
        return false;
    }
}
