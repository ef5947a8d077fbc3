using Parley.Server.Messages;

namespace Parley.Tests.Limits;

// Pure logic of the per-user gate in front of a send's transaction.
public sealed class UserSendGateTests
{
    private readonly UserSendGate _gate = new();

    [Fact]
    public async Task Sends_of_one_user_wait_for_each_other_and_other_users_do_not()
    {
        var first = await _gate.EnterAsync("ada", CancellationToken.None);
        var second = _gate.EnterAsync("ada", CancellationToken.None);
        var other = await _gate.EnterAsync("grace", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        await Task.Delay(50);
        Assert.False(second.IsCompleted);
        first.Dispose();
        (await second.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        other.Dispose();
    }

    [Fact]
    public async Task A_cancelled_wait_leaves_the_gate_usable()
    {
        var held = await _gate.EnterAsync("ada", CancellationToken.None);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _gate.EnterAsync("ada", cancel.Token));

        held.Dispose();
        held.Dispose(); // A second release changes nothing.
        using var again = await _gate.EnterAsync("ada", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        var waiting = _gate.EnterAsync("ada", CancellationToken.None);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
    }
}
