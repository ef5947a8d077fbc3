namespace Parley.Tests.Infrastructure;

// A clock that moves only when a test moves it. Timers still run on the machine's clock.
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
