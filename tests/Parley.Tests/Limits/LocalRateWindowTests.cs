using Parley.Server.Messages;
using Parley.Tests.Messages;

namespace Parley.Tests.Limits;

// The per-user rate on one node: a sliding window per user, moved on by the limiter's one shared timer rather
// than a timer per user.
public sealed class LocalRateWindowTests
{
    [Fact]
    public async Task A_user_over_the_rate_may_send_again_once_the_window_has_moved_on_and_other_users_are_not_held_back()
    {
        using var limiter = UserLimits.PerWindow(1, TimeSpan.FromMilliseconds(600));

        Assert.Null(UserLimits.Take(limiter, "ada"));
        Assert.NotNull(UserLimits.Take(limiter, "ada"));
        Assert.Null(UserLimits.Take(limiter, "grace"));

        await Poll.UntilAsync(() => Task.FromResult(UserLimits.Take(limiter, "ada")), wait => wait is null,
            TimeSpan.FromSeconds(5), "the window to let the user send again");
        Assert.NotNull(UserLimits.Take(limiter, "ada"));
    }
}
