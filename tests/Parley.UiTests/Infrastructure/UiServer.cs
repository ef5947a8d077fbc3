using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Parley.UiTests.Infrastructure;

// A real Parley server on a real Kestrel port over a SQLite file of its own, serving the built web UI. The demo
// model is slowed down so a reply takes a few seconds: long enough to stop it or reload the page mid-reply.
public sealed class UiServer : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public UiServer(IDictionary<string, string?>? overrides = null)
    {
        DataFolder = Path.Combine(Path.GetTempPath(), "parley-ui-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataFolder);
        _settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Parley"] = $"Data Source={Path.Combine(DataFolder, "parley.db")}",
            ["Parley:Auth:PasswordIterations"] = "10000",
            ["Parley:Demo:FirstTokenDelayMs"] = "300",
            ["Parley:Demo:TokensPerSecond"] = "15",
            ["Parley:Demo:ReplyTokens"] = "60",
            ["Parley:Generation:PollIntervalMs"] = "200",
            ["Parley:Generation:ShutdownGraceSeconds"] = "1",
            ["Parley:Streaming:FlushIntervalMs"] = "20",
            // The browser tests send faster than a person; the limits have tests of their own.
            ["Parley:Limits:SendsPerMinute"] = "100000",
            ["Parley:Limits:MaxConcurrentReplies"] = "100",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) _settings[key] = value;
        UseKestrel(0);
    }

    public string DataFolder { get; }

    public Uri BaseAddress
    {
        get
        {
            StartServer();
            return ClientOptions.BaseAddress;
        }
    }

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    // The reply streams open right now, so a test can cut them as a failing network would.
    public StreamConnections Streams { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(Streams));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataFolder, recursive: true); } catch (IOException) { }
    }
}
