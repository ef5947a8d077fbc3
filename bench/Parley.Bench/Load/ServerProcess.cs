using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Parley.Bench.Load;

// A server the bench starts as a child process, Parley or FakeLlm, so that its CPU time and memory are read
// from /proc apart from the load generator's, and so that it collects its garbage and schedules its threads on
// its own rather than in the middle of the client's streams.
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly string _name;
    private readonly Process _process;
    private readonly string _folder;

    private ServerProcess(string name, Process process, string folder, Uri baseUrl)
    {
        _name = name;
        _process = process;
        _folder = folder;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    // The SQLite database file, when the server is Parley on SQLite.
    public string? SqlitePath { get; private set; }

    // connectionString null means a SQLite file in a temporary folder.
    public static async Task<ServerProcess> StartParleyAsync(IDictionary<string, string> settings, string? connectionString = null)
    {
        var folder = NewFolder();
        var sqlite = Path.Combine(folder, "parley.db");
        var environment = settings.ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value);
        environment["ConnectionStrings__Parley"] = connectionString ?? $"Data Source={sqlite}";
        environment["Logging__LogLevel__Default"] = "Warning";
        var port = FreePort();
        var server = Start("Parley.Server", folder, ["--urls", $"http://127.0.0.1:{port}"], environment, new Uri($"http://127.0.0.1:{port}"));
        server.SqlitePath = connectionString is null ? sqlite : null;
        await server.WaitUntilReadyAsync("/health/ready");
        return server;
    }

    // --bench has FakeLlm send each chunk on the thread that wrote it, the cheapest way it has (tools/FakeLlm).
    public static async Task<ServerProcess> StartFakeLlmAsync()
    {
        var port = FreePort();
        var server = Start("FakeLlm", NewFolder(), ["--port", $"{port}", "--bench"], new Dictionary<string, string>(), new Uri($"http://127.0.0.1:{port}/v1/"));
        await server.WaitUntilReadyAsync("/v1/models");
        return server;
    }

    // name is the assembly that the bench's project reference copied next to it.
    private static ServerProcess Start(string name, string folder, IEnumerable<string> args, IDictionary<string, string> environment, Uri baseUrl)
    {
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, name + ".dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"{name}: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServerProcess(name, process, folder, baseUrl);
    }

    private async Task WaitUntilReadyAsync(string path)
    {
        using var http = new HttpClient { BaseAddress = BaseUrl };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if ((await http.GetAsync(path)).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline || _process.HasExited)
            {
                await DisposeAsync();
                throw new InvalidOperationException($"{_name} did not become ready.");
            }
            await Task.Delay(200);
        }
    }

    // Resident memory of the server process, from /proc (Linux).
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            }
        }
        return 0;
    }

    // CPU time the server has used, user and kernel, from /proc.
    public CpuTicks CpuTicks() => Load.CpuTicks.OfProcess(_process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public TimeSpan CpuTime() => TimeSpan.FromSeconds(CpuTicks().Total / Load.CpuTicks.PerSecond);

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string NewFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "parley-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
