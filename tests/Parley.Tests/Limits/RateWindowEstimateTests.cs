using Parley.Server.Storage;

namespace Parley.Tests.Limits;

// The shared (PostgreSQL) rate limit's sliding-minute estimate, as pure arithmetic. The counting itself runs
// against a real PostgreSQL in Parley.Tests.Postgres (RateWindowTests).
public sealed class RateWindowEstimateTests
{
    [Fact]
    public void The_previous_window_counts_for_the_part_of_the_minute_it_still_covers()
    {
        // Three hits just before the boundary, a fourth just after: over a limit of three.
        Assert.NotNull(RateWindows.Wait(current: 1, previous: 3, perWindow: 3, elapsed: 0.01));
        // Two thirds of the way through the window, a third of the previous window's three still counts.
        Assert.Null(RateWindows.Wait(current: 2, previous: 3, perWindow: 3, elapsed: 0.67));
        Assert.Null(RateWindows.Wait(current: 3, previous: 0, perWindow: 3, elapsed: 0.5));
    }

    [Fact]
    public void The_wait_ends_when_one_more_hit_fits()
    {
        // 1 now + 3 before: a second hit fits once 3 * (1 - e) <= 1, at e = 2/3 of the window (40 s), 39.4 s from now.
        Assert.Equal(TimeSpan.FromSeconds(40), RateWindows.Wait(current: 1, previous: 3, perWindow: 3, elapsed: 0.01));
        // This window is over the limit by itself: the next window, once this one's four weigh no more than two.
        Assert.Equal(TimeSpan.FromSeconds(30 + 30), RateWindows.Wait(current: 4, previous: 0, perWindow: 3, elapsed: 0.5));
    }
}
