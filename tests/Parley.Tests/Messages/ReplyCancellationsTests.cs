using Parley.Server.Generation;

namespace Parley.Tests.Messages;

// A reply is started by its claim, before its generator registers for cancels, so a cancel often arrives in
// between and must be kept for the registration. Pure logic: two threads race a cancel against the registration,
// many times over; each time the registered source must end up cancelled.
public sealed class ReplyCancellationsTests
{
    [Fact]
    public async Task A_cancel_racing_the_registration_is_never_lost()
    {
        var cancellations = new ReplyCancellations(TimeProvider.System);
        var lost = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var id = "msg_" + i;
            using var start = new Barrier(2);
            CancellationTokenSource? source = null;
            var register = Task.Run(() => { start.SignalAndWait(); source = cancellations.Register(id); });
            var cancel = Task.Run(() => { start.SignalAndWait(); cancellations.RequestCancel(id); });
            await Task.WhenAll(register, cancel);
            if (!source!.IsCancellationRequested) lost++;
            cancellations.Unregister(id, source);
            source.Dispose();
        }
        Assert.Equal(0, lost);
    }

    [Fact]
    public void A_cancel_reaches_a_registered_reply_and_not_a_later_one_with_another_id()
    {
        var cancellations = new ReplyCancellations(TimeProvider.System);
        using var running = cancellations.Register("msg_a");
        Assert.True(cancellations.RequestCancel("msg_a"));
        Assert.True(running.IsCancellationRequested);
        using var other = cancellations.Register("msg_b");
        Assert.False(other.IsCancellationRequested);
    }
}
