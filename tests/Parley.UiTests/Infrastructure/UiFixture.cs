using FakeLlm;

namespace Parley.UiTests.Infrastructure;

// A Parley server with the slowed demo model plus FakeLlm as a second provider, whose replies repeat the user's
// words (so a test controls exactly what the "model" says), and a browser to drive it.
public class UiFixture : IAsyncLifetime
{
    protected virtual int SendsPerMinute => 100_000;

    // FakeLlm echoes the user's message word by word; 120 tokens leaves room for a long message.
    public const string EchoModel = "fake?tokens=120&tps=40";
    // A reply of about ten seconds, long enough to stop it, reload the page or drop the network mid-reply even
    // on a busy machine.
    public const string SlowModel = "fake?tokens=200&tps=20";
    // An upstream that refuses Parley's API key: the reply ends as an error the user must be told about.
    public const string RefusingModel = "fake?status=401";
    // A model that calls the server's calculator first, then answers with the tool's result.
    public static readonly string ToolModel = "fake?tool=calculator&args=" + Uri.EscapeDataString("{\"expression\":\"(2+3)*4\"}") + "&tokens=12";

    public FakeLlmHost Fake { get; private set; } = null!;
    public UiServer Server { get; private set; } = null!;
    public BrowserSession Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Fake = await FakeLlmHost.StartAsync();
        Server = new UiServer(new Dictionary<string, string?>
        {
            ["Parley:DefaultModel"] = "demo",
            ["Parley:Providers:fake:BaseUrl"] = Fake.BaseUrl.ToString(),
            ["Parley:Providers:fake:ApiKey"] = "sk-ui-tests",
            ["Parley:Providers:fake:Models:0"] = EchoModel,
            ["Parley:Providers:fake:Models:1"] = RefusingModel,
            ["Parley:Providers:fake:Models:2"] = SlowModel,
            ["Parley:Providers:fake:Models:3"] = ToolModel,
            // Two sends a minute, so a test can meet the rate limit without waiting.
            ["Parley:Limits:SendsPerMinute"] = SendsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        Server.StartServer();
        Browser = await BrowserSession.LaunchAsync();
    }

    public Task<IPage> NewPageAsync(BrowserNewContextOptions? options = null) => Browser.NewPageAsync(Server, options);

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        await Server.DisposeAsync();
        await Fake.DisposeAsync();
    }
}

// The same, with a send rate limit low enough to reach in a test.
public sealed class RateLimitedFixture : UiFixture
{
    public const int Limit = 2;

    protected override int SendsPerMinute => Limit;
}

// A server nobody has registered on yet, for the first-run flow.
public sealed class FreshServerFixture : IAsyncLifetime
{
    public UiServer Server { get; private set; } = null!;
    public BrowserSession Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = new UiServer();
        Server.StartServer();
        Browser = await BrowserSession.LaunchAsync();
    }

    public Task<IPage> NewPageAsync(BrowserNewContextOptions? options = null) => Browser.NewPageAsync(Server, options);

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        await Server.DisposeAsync();
    }
}
