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
            var waiting = signal.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
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
        var waiting = signal.WaitAsync(TimeSpan.FromSeconds(30), cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(5)));

        // The signal is whole again after a cancelled wait.
        signal.Set();
        Assert.True(await signal.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
    }

    // The signal's one timer is re-armed for each wait. A callback of an earlier wait that arrives during a later
    // one must not end it before its own timeout.
    [Fact]
    public async Task A_wait_after_many_short_timeouts_lasts_its_own_timeout()
    {
        var signal = new WakeSignal();
        for (var round = 0; round < 200; round++) Assert.False(await signal.WaitAsync(TimeSpan.FromMilliseconds(1), CancellationToken.None));
        for (var round = 0; round < 5; round++)
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            Assert.False(await signal.WaitAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None));
            Assert.True(started.ElapsedMilliseconds >= 99, $"the wait ended after {started.ElapsedMilliseconds} ms");
        }
    }

    [Fact]
    public async Task It_has_one_waiter_at_a_time_and_disposing_it_ends_the_wait()
    {
        var signal = new WakeSignal();
        var waiting = signal.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
        Assert.Throws<InvalidOperationException>(() => signal.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
        signal.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Throws<ObjectDisposedException>(() => signal.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
    }
}
