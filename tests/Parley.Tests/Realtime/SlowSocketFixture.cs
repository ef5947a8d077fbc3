using Parley.Tests.Infrastructure;
using Parley.Tests.Messages;

namespace Parley.Tests.Realtime;

// Replies of about two seconds (80 tokens at 40/s), long enough to interleave two of them on one socket, and
// to cancel, drop or re-subscribe in the middle of one.
public sealed class SlowSocketFixture : IAsyncLifetime
{
    public ParleyApp App { get; } = new(new Dictionary<string, string?>
    {
        ["Parley:Demo:FirstTokenDelayMs"] = "50",
        ["Parley:Demo:TokensPerSecond"] = "40",
        ["Parley:Demo:ReplyTokens"] = "80",
    });

    public Task InitializeAsync()
    {
        App.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}
