using Parley.Server.Storage;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Storage;

// The rate limit shared by nodes, counted in PostgreSQL, on a clock the test moves: the limit holds over any
// minute, not only within a calendar minute, so bursts on both sides of a window boundary add up.
public sealed class RateWindowTests
{
    [Fact]
    public async Task Hits_on_both_sides_of_a_window_boundary_count_together_and_the_limit_frees_as_the_minute_slides()
    {
        await using var app = new ParleyApp();
        var clock = new SettableClock(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000 / 60 * 60 + 59)); // one second before a boundary
        var windows = new RateWindows(app.Service<DatabaseTarget>(), app.Services, clock);

        for (var i = 0; i < 3; i++) Assert.Null(await windows.TakeAsync("send:u1", 3, CancellationToken.None));
        clock.Advance(TimeSpan.FromSeconds(2)); // one second into the next window

        var wait = await windows.TakeAsync("send:u1", 3, CancellationToken.None);
        Assert.NotNull(wait);
        Assert.InRange(wait.Value.TotalSeconds, 30, 60);
        // Another bucket is not affected.
        Assert.Null(await windows.TakeAsync("send:u2", 3, CancellationToken.None));

        // Once the previous window has slid out of the last minute, there is room again.
        clock.Advance(wait.Value);
        Assert.Null(await windows.TakeAsync("send:u1", 3, CancellationToken.None));
    }

    private sealed class SettableClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
