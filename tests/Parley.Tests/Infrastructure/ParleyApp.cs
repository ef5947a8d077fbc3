using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Parley.Tests.Infrastructure;

// The test host: the real Parley pipeline on a real Kestrel port over a real SQLite file in a temporary
// folder (on the PostgreSQL tier, over a database of its own in the run's PostgreSQL cluster). The demo model is sped up so replies take a fraction of a second; tests that need a slow reply
// (to cancel or resume it mid-stream) start their own app with different settings.
public class ParleyApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public ParleyApp() : this(new Dictionary<string, string?>())
    {
    }

    public ParleyApp(IDictionary<string, string?> overrides)
    {
        DataFolder = Path.Combine(Path.GetTempPath(), "parley-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataFolder);
#if POSTGRES
        DatabasePath = PostgresCluster.Shared.CreateDatabase();
#else
        DatabasePath = Path.Combine(DataFolder, "parley.db");
#endif
        _settings = TestSettings.Fast(DatabasePath);
        foreach (var (key, value) in overrides) _settings[key] = value;
        UseKestrel(0);
    }

    public string DataFolder { get; }

    // The SQLite file, or on the PostgreSQL tier the connection string of this host's database.
    public string DatabasePath { get; }

    public Uri BaseAddress
    {
        get
        {
            StartServer();
            return ClientOptions.BaseAddress;
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }

    // A fresh client on the real socket, with its own cookie jar.
    public ParleyClient NewClient()
    {
        StartServer();
        var handler = new HttpClientHandler { UseCookies = true, CookieContainer = new System.Net.CookieContainer() };
        var http = new HttpClient(handler) { BaseAddress = ClientOptions.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        return new ParleyClient(http);
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
#if POSTGRES
        PostgresCluster.Shared.DropDatabase(DatabasePath);
#endif
        try { Directory.Delete(DataFolder, recursive: true); } catch (IOException) { }
    }
}
