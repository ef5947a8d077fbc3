using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Parley.Bench.Load;

// The Parley server as a child process, so that its memory is measured apart from the load generator's.
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private ServerProcess(Process process, string folder, Uri baseUrl)
    {
        _process = process;
        _folder = folder;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    // The SQLite database file, when the server runs on SQLite.
    public string? SqlitePath { get; private init; }

    // connectionString null means a SQLite file in a temporary folder.
    public static async Task<ServerProcess> StartAsync(IDictionary<string, string> settings, string? connectionString = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "parley-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Parley.Server.dll"), "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        var sqlite = Path.Combine(folder, "parley.db");
        info.Environment["ConnectionStrings__Parley"] = connectionString ?? $"Data Source={sqlite}";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings) info.Environment[key.Replace(":", "__")] = value;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("server: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new ServerProcess(process, folder, new Uri($"http://127.0.0.1:{port}")) { SqlitePath = connectionString is null ? sqlite : null };
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode) return server;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline || process.HasExited) throw new InvalidOperationException("The server did not become ready.");
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

    // CPU time the server has used, user and system, from /proc/<pid>/stat (in clock ticks of 1/100 s).
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        // Fields after the command name, which is in parentheses and may contain spaces.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11]) + long.Parse(fields[12]);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
