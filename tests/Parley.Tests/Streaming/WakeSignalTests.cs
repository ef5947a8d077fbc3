using Parley.Server.Streaming;

namespace Parley.Tests.Streaming;

// The wake-up every reader, the flusher and the worker wait on, as pure logic.
public sealed class WakeSignalTests
{
    [Fact]
    public async Task A_wait_ends_at_its_timeout_and_a_set_after_reset_wakes_the_next_wait_many_times_over()
    {
        var signal = new WakeSignal();
        for (var round = 0; round < 50; round++)
        {
            signal.Reset();
            Assert.False(await signal.WaitAsync(TimeSpan.FromMilliseconds(1), CancellationToken.None));
            signal.Reset();
            var waiting = signal.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
            signal.Set();
            Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        }
    }

    [Fact]
    public async Task A_set_before_the_wait_is_kept_until_reset_and_sets_coalesce()
    {
        var signal = new WakeSignal();
        signal.Set();
        signal.Set();
        Assert.True(await signal.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
        Assert.True(await signal.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
        signal.Reset();
        Assert.False(await signal.WaitAsync(TimeSpan.FromMilliseconds(20), CancellationToken.None));
    }

    [Fact]
    public async Task Cancelling_ends_the_wait_with_cancellation()
    {
        var signal = new WakeSignal();
        using var cts = new CancellationTokenSource();
        var waiting = signal.WaitAsync(TimeSpan.FromSeconds(30), cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(5)));
    }
}
