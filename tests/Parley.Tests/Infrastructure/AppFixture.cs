namespace Parley.Tests.Infrastructure;

// One shared app per test class; every test signs up its own users, so tests share no data. Subclasses
// start the app with other settings (slower replies, say).
public class AppFixture : IAsyncLifetime
{
    private ParleyApp? _app;

    public ParleyApp App => _app ??= new ParleyApp(new Dictionary<string, string?>(Settings));

    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

    public virtual Task InitializeAsync()
    {
        App.StartServer();
        return Task.CompletedTask;
    }

    public virtual async Task DisposeAsync() => await App.DisposeAsync();

    public async Task<ParleyClient> SignedInAsync(bool apiKey = false)
    {
        var client = App.NewClient();
        await client.SignUpAsync();
        if (apiKey) await client.UseApiKeyAsync();
        return client;
    }
}
