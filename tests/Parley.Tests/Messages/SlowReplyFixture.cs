using Parley.Tests.Infrastructure;

namespace Parley.Tests.Messages;

// Replies that take about ten seconds (200 tokens at 20/s), so a test can act while one is generating. Tests
// that start a slow reply cancel it when they are done, so it does not hold the worker after them.
public sealed class SlowReplyFixture : IAsyncLifetime
{
    public static readonly IReadOnlyDictionary<string, string?> Settings = new Dictionary<string, string?>
    {
        ["Parley:Demo:FirstTokenDelayMs"] = "50",
        ["Parley:Demo:TokensPerSecond"] = "20",
        ["Parley:Demo:ReplyTokens"] = "200",
    };

    public ParleyApp App { get; } = new(Settings.ToDictionary());

    public Task InitializeAsync()
    {
        App.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await App.DisposeAsync();

    public async Task<ParleyClient> SignedInAsync()
    {
        var client = App.NewClient();
        await client.SignUpAsync();
        return client;
    }
}
