using Parley.Tests.Infrastructure;

namespace Parley.Tests.Streaming;

// Replies slow enough (about 4 s each) to disconnect, resume and cancel in the middle of them.
public sealed class SlowAppFixture : IAsyncLifetime
{
    public ParleyApp App { get; } = new(new Dictionary<string, string?>
    {
        ["Parley:Demo:FirstTokenDelayMs"] = "100",
        ["Parley:Demo:TokensPerSecond"] = "40",
        ["Parley:Demo:ReplyTokens"] = "150",
    });

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
