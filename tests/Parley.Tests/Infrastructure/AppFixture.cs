namespace Parley.Tests.Infrastructure;

// One shared fast app per test class; every test signs up its own users, so tests share no data.
public sealed class AppFixture : IAsyncLifetime
{
    public ParleyApp App { get; } = new();

    public Task InitializeAsync()
    {
        App.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await App.DisposeAsync();

    public async Task<ParleyClient> SignedInAsync(bool apiKey = false)
    {
        var client = App.NewClient();
        await client.SignUpAsync();
        if (apiKey) await client.UseApiKeyAsync();
        return client;
    }
}
