using Microsoft.Extensions.Options;
using Parley.Server.Auth;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Auth;

// The throttle's rule on its own: the check against the limit and the count are one step, so attempts racing
// from many threads get exactly the limit through; a right password takes its attempt back; a window ends.
public sealed class LoginThrottleTests
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    private LoginThrottle Throttle(int maxFailed) =>
        new(Options.Create(new AuthOptions { MaxFailedLogins = maxFailed, FailedLoginWindowMinutes = 15 }), _clock);

    [Fact]
    public async Task Attempts_racing_on_many_threads_get_exactly_the_limit_through()
    {
        const int users = 5_000;
        var throttle = Throttle(maxFailed: 1);
        using var start = new Barrier(4);

        // Four threads try every username once each, in the same order, so they race on each one.
        var through = await Task.WhenAll(Enumerable.Range(0, 4).Select(thread => Task.Run(() =>
        {
            start.SignalAndWait();
            // Every attempt from an address of its own, so only the username's limit applies.
            return Enumerable.Range(0, users).Count(u => throttle.TryBegin($"user{u}", $"10.{thread}.{u / 256}.{u % 256}") is null);
        })));

        Assert.Equal(users, through.Sum());
    }

    [Fact]
    public void Past_the_limit_the_wait_is_until_the_window_ends_and_then_attempts_go_through_again()
    {
        var throttle = Throttle(maxFailed: 2);
        Assert.Null(throttle.TryBegin("bob", "10.0.0.1"));
        Assert.Null(throttle.TryBegin("Bob", "10.0.0.2"));

        _clock.Now += TimeSpan.FromMinutes(5);
        Assert.Equal(TimeSpan.FromMinutes(10), throttle.TryBegin("BOB", "10.0.0.3"));

        _clock.Now += TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1);
        Assert.Null(throttle.TryBegin("bob", "10.0.0.4"));
    }

    [Fact]
    public void A_right_password_takes_its_attempt_back()
    {
        var throttle = Throttle(maxFailed: 2);
        Assert.Null(throttle.TryBegin("carol", "10.0.0.1"));
        Assert.Null(throttle.TryBegin("carol", "10.0.0.1"));
        Assert.NotNull(throttle.TryBegin("carol", "10.0.0.1"));

        throttle.Succeeded("carol", "10.0.0.1");

        Assert.Null(throttle.TryBegin("carol", "10.0.0.1"));
    }

    [Fact]
    public void One_address_may_try_a_few_accounts_but_not_many()
    {
        var throttle = Throttle(maxFailed: 2);
        var through = Enumerable.Range(0, 20).Count(i => throttle.TryBegin($"user{i}", "10.0.0.9") is null);

        Assert.Equal(8, through);
    }
}
