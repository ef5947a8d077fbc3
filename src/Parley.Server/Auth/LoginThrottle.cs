using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Parley.Server.Auth;

// Counts failed logins per username and per client address in a fixed window. Past the limit, further
// attempts are refused with 429 until the window ends, whether or not the password would be right.
// The counters live in this process: on several nodes each node throttles on its own.
internal sealed class LoginThrottle(IOptions<AuthOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, Window> _windows = new();

    private sealed record Window(DateTime Start, int Failures);

    public TimeSpan? RetryAfter(string username, string? address)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        TimeSpan? longest = null;
        foreach (var (key, limit) in Keys(username, address))
        {
            if (_windows.TryGetValue(key, out var window) && window.Failures >= limit)
            {
                var left = window.Start + WindowLength - now;
                if (left > TimeSpan.Zero && (longest is null || left > longest)) longest = left;
            }
        }
        return longest;
    }

    public void Failed(string username, string? address)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var (key, _) in Keys(username, address))
        {
            _windows.AddOrUpdate(key, _ => new Window(now, 1),
                (_, w) => now - w.Start > WindowLength ? new Window(now, 1) : w with { Failures = w.Failures + 1 });
        }
        if (_windows.Count > 10_000) Prune(now);
    }

    // A right password clears the user's count and takes back the attempt from the address's count.
    public void Succeeded(string username, string? address)
    {
        _windows.TryRemove("user:" + username.ToLowerInvariant(), out _);
        if (address is not null) _windows.AddOrUpdate("addr:" + address, _ => new Window(clock.GetUtcNow().UtcDateTime, 0),
            (_, w) => w with { Failures = Math.Max(0, w.Failures - 1) });
    }

    private TimeSpan WindowLength => TimeSpan.FromMinutes(options.Value.FailedLoginWindowMinutes);

    private IEnumerable<(string Key, int Limit)> Keys(string username, string? address)
    {
        var perUser = options.Value.MaxFailedLogins;
        yield return ("user:" + username.ToLowerInvariant(), perUser);
        // An address may try a few accounts (a shared office NAT), but not spray many.
        if (address is not null) yield return ("addr:" + address, perUser * 4);
    }

    private void Prune(DateTime now)
    {
        foreach (var (key, window) in _windows)
        {
            if (now - window.Start > WindowLength) _windows.TryRemove(key, out _);
        }
    }
}
