using Microsoft.Extensions.Options;

namespace Parley.Server.Auth;

// Counts failed logins per username and per client address in a fixed window. Past the limit, further
// attempts are refused with 429 until the window ends, whether or not the password would be right.
// The counters live in this process: on several nodes each node throttles on its own.
//
// An attempt is counted as a failure when it begins, before its (slow) password check, and the check against the
// limit and the count are one step under a lock: parallel guesses cannot all pass the check before any of them
// is counted. A right password then takes its attempt back.
internal sealed class LoginThrottle(IOptions<AuthOptions> options, TimeProvider clock)
{
    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    // Expired windows are swept out once the table passes this size, which then doubles past what is left, so a
    // flood of distinct usernames costs each attempt no more than a constant share of a sweep.
    private int _sweepAt = MinSweepAt;
    private const int MinSweepAt = 10_000;

    private readonly record struct Window(DateTime Start, int Failures);

    // Null when the attempt may go ahead (it is now counted); otherwise how long until the longest window ends.
    public TimeSpan? TryBegin(string username, string? address)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        lock (_lock)
        {
            TimeSpan? longest = null;
            foreach (var (key, limit) in Keys(username, address))
            {
                if (_windows.TryGetValue(key, out var window) && window.Failures >= limit)
                {
                    var left = window.Start + WindowLength - now;
                    if (left > TimeSpan.Zero && (longest is null || left > longest)) longest = left;
                }
            }
            if (longest is not null) return longest;

            foreach (var (key, _) in Keys(username, address))
            {
                _windows[key] = _windows.TryGetValue(key, out var w) && now - w.Start <= WindowLength
                    ? w with { Failures = w.Failures + 1 }
                    : new Window(now, 1);
            }
            if (_windows.Count > _sweepAt) Sweep(now);
            return null;
        }
    }

    // A right password clears the user's count and takes back the attempt from the address's count.
    public void Succeeded(string username, string? address)
    {
        lock (_lock)
        {
            _windows.Remove(UserKey(username));
            if (address is not null && _windows.TryGetValue(AddressKey(address), out var w))
            {
                _windows[AddressKey(address)] = w with { Failures = Math.Max(0, w.Failures - 1) };
            }
        }
    }

    private TimeSpan WindowLength => TimeSpan.FromMinutes(options.Value.FailedLoginWindowMinutes);

    private static string UserKey(string username) => "user:" + username.ToLowerInvariant();

    private static string AddressKey(string address) => "addr:" + address;

    private IEnumerable<(string Key, int Limit)> Keys(string username, string? address)
    {
        var perUser = options.Value.MaxFailedLogins;
        yield return (UserKey(username), perUser);
        // An address may try a few accounts (a shared office NAT), but not spray many.
        if (address is not null) yield return (AddressKey(address), perUser * 4);
    }

    private void Sweep(DateTime now)
    {
        foreach (var key in _windows.Where(w => now - w.Value.Start > WindowLength).Select(w => w.Key).ToList())
        {
            _windows.Remove(key);
        }
        _sweepAt = Math.Max(MinSweepAt, _windows.Count * 2);
    }
}
