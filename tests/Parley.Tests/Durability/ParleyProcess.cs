using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Durability;

// The real server as a separate OS process, so that a test can kill it for real (SIGKILL), stop it the way an
// orchestrator does (SIGTERM), and start it again on the same SQLite file. Settings go in as ASP.NET Core
// `Section__Key` environment variables, exactly as an operator would give them.
public sealed class ParleyProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private const int KeptLines = 20_000;

    private readonly Dictionary<string, string?> _settings;
    private readonly Lock _outputLock = new();
    private readonly List<string> _output = [];
    private readonly List<string> _earlierLives = [];
    private Process? _process;
#if POSTGRES
    private readonly string? _ownDatabase;
#endif
    private int _lives;

    private ParleyProcess(IDictionary<string, string?> settings)
    {
        DataFolder = Path.Combine(Path.GetTempPath(), "parley-durability", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataFolder);
#if POSTGRES
        // Several processes share one database when the caller names it (a cluster of nodes).
        DatabasePath = settings.TryGetValue("ConnectionStrings:Parley", out var shared) && shared is not null
            ? shared
            : _ownDatabase = PostgresCluster.Shared.CreateDatabase();
#else
        DatabasePath = Path.Combine(DataFolder, "parley.db");
#endif
        _settings = TestSettings.Fast(DatabasePath);
        // Keeps the captured output to what helps diagnose a failure.
        _settings["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Warning";
        foreach (var (key, value) in settings) _settings[key] = value;
        Port = FreePort();
    }

    public string DataFolder { get; }

    // The SQLite file, or on the PostgreSQL tier the connection string of the server's database.
    public string DatabasePath { get; }

    public int Port { get; private set; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("The server was never started.");

    public bool HasExited => _process is null || _process.HasExited;

    public int ExitCode => _process!.ExitCode;

    // Starts the server and waits until it answers /health/ready.
    public static async Task<ParleyProcess> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var server = new ParleyProcess(settings ?? new Dictionary<string, string?>());
        try
        {
            await server.LaunchAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    // Starts the server again on the same database, on the same port when the OS gives it back. Settings
    // may change between lives (a faster demo pace, for instance); the database never does.
    public async Task RestartAsync(IDictionary<string, string?>? changes = null)
    {
        if (!HasExited) throw new InvalidOperationException("The server is still running; kill or terminate it first.");
        foreach (var (key, value) in changes ?? new Dictionary<string, string?>()) _settings[key] = value;
        await LaunchAsync();
    }

    // SIGKILL: no shutdown code runs, exactly like a crash or an OOM kill.
    public async Task KillHardAsync()
    {
        var process = _process ?? throw new InvalidOperationException("The server was never started.");
        process.Kill(entireProcessTree: true);
        await WaitForExitAsync(TimeSpan.FromSeconds(15));
    }

    // SIGTERM: what `docker stop` or Kubernetes sends; the host runs its graceful shutdown.
    public void Terminate()
    {
        if (SendSignal(ProcessId, SigTerm) != 0)
            throw new InvalidOperationException($"kill(SIGTERM) failed with errno {Marshal.GetLastPInvokeError()}.");
    }

    // Waits for the process to end on its own; returns its exit code.
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException("The server was never started.");
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            // Also waits for the redirected output to be read to its end.
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The server (pid {process.Id}) was still running {timeout.TotalSeconds:0.#} s later.\n{Output}");
        }
        return process.ExitCode;
    }

    // True once the current life of the server has written a line containing the text.
    public bool HasLogged(string text)
    {
        lock (_outputLock) return _output.Any(line => line.Contains(text, StringComparison.Ordinal));
    }

    public async Task WaitForLogAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!HasLogged(text))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The server did not log \"{text}\" within {timeout.TotalSeconds:0.#} s.\n{Output}");
            await Task.Delay(20);
        }
    }

    // The end of what the server printed in each of its lives, for failure messages.
    public string Output
    {
        get
        {
            lock (_outputLock)
                return string.Join('\n', _earlierLives.Append($"--- life {_lives} (pid {_process?.Id}) ---").Concat(_output.TakeLast(300)));
        }
    }

    // A client of the current life, authenticated with an API key: keys live in the database, so they outlast
    // restarts, unlike anything a process holds in memory.
    public ParleyClient NewClient(string? apiKey = null)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseCookies = true, CookieContainer = new CookieContainer() })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        if (apiKey is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return new ParleyClient(http);
    }

    // Signs a new user up and returns an API key for them.
    public async Task<string> SignUpAsync()
    {
        using var client = NewClient();
        await client.SignUpAsync();
        return await client.UseApiKeyAsync();
    }

    private async Task LaunchAsync()
    {
        for (var tries = 0; ; tries++)
        {
            StartProcess();
            try
            {
                await WaitUntilReadyAsync();
                return;
            }
            catch (PortTakenException) when (tries < 2)
            {
                // Something else took the port while the server was down; any port will do.
                Port = FreePort();
            }
        }
    }

    private void StartProcess()
    {
        var (dotnet, serverDll) = (DotnetHost(), ServerAssembly());
        var start = new ProcessStartInfo(dotnet)
        {
            // The content root is the server's own folder, so its appsettings.json applies as in a deployment.
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(serverDll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(BaseAddress.ToString().TrimEnd('/'));

        // The child must not pick up settings meant for this test process or its other hosts.
        foreach (var name in start.Environment.Keys.ToList())
        {
            if (name.StartsWith("Parley__", StringComparison.OrdinalIgnoreCase) || name.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || name.StartsWith("OPENAI_", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase))
                start.Environment.Remove(name);
        }
        foreach (var (key, value) in _settings) start.Environment[key.Replace(":", "__")] = value;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["DOTNET_NOLOGO"] = "1";

        lock (_outputLock)
        {
            if (_process is not null)
            {
                _earlierLives.Add($"--- life {_lives} (pid {_process.Id}, exit {(_process.HasExited ? _process.ExitCode : -1)}) ---");
                _earlierLives.AddRange(_output.TakeLast(300));
            }
            _output.Clear();
            _lives++;
        }
        _process?.Dispose();

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Capture(e.Data);
        process.ErrorDataReceived += (_, e) => Capture(e.Data is null ? null : "stderr: " + e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    private void Capture(string? line)
    {
        if (line is null) return;
        lock (_outputLock)
        {
            _output.Add(line);
            if (_output.Count > KeptLines) _output.RemoveRange(0, _output.Count - KeptLines);
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (_process!.HasExited)
            {
                await _process.WaitForExitAsync();
                if (HasLogged("address already in use")) throw new PortTakenException();
                throw new InvalidOperationException($"The server exited with code {_process.ExitCode} before it was ready.\n{Output}");
            }
            try
            {
                using var response = await http.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline)
            {
                _process.Kill(entireProcessTree: true);
                throw new TimeoutException($"The server was not ready within {StartTimeout.TotalSeconds} s.\n{Output}");
            }
            await Task.Delay(50);
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    // The test project references the server, so its build output (with runtimeconfig and deps) is normally
    // copied beside the tests, whatever --artifacts-path says. Otherwise use the server's own build output.
    private static string ServerAssembly()
    {
        static bool Runnable(string folder) =>
            new[] { "Parley.Server.dll", "Parley.Server.runtimeconfig.json", "Parley.Server.deps.json" }.All(f => File.Exists(Path.Combine(folder, f)));

        var here = AppContext.BaseDirectory;
        if (Runnable(here)) return Path.Combine(here, "Parley.Server.dll");

        // <artifacts>/bin/Parley.Tests/<config>/ -> <artifacts>/bin/Parley.Server/<config>/
        var config = new DirectoryInfo(here).Name;
        var artifacts = Path.GetFullPath(Path.Combine(here, "..", "..", "Parley.Server", config));
        if (Runnable(artifacts)) return Path.Combine(artifacts, "Parley.Server.dll");

        // tests/Parley.Tests/bin/<config>/net10.0/ -> src/Parley.Server/bin/<config>/net10.0/
        for (var dir = new DirectoryInfo(here); dir is not null; dir = dir.Parent)
        {
            var serverBin = Path.Combine(dir.FullName, "src", "Parley.Server", "bin");
            if (!Directory.Exists(serverBin)) continue;
            var found = Directory.EnumerateFiles(serverBin, "Parley.Server.runtimeconfig.json", SearchOption.AllDirectories)
                .Select(Path.GetDirectoryName).Where(f => Runnable(f!)).OrderByDescending(f => File.GetLastWriteTimeUtc(Path.Combine(f!, "Parley.Server.dll")))
                .FirstOrDefault();
            if (found is not null) return Path.Combine(found, "Parley.Server.dll");
        }
        throw new FileNotFoundException($"No runnable Parley.Server.dll (with runtimeconfig and deps) beside {here} or in the server's build output.");
    }

    // The same dotnet host that runs the tests, so the server gets the same runtime.
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)) return hostPath;
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        _process?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
#if POSTGRES
        if (_ownDatabase is not null) PostgresCluster.Shared.DropDatabase(_ownDatabase);
#endif
        try { Directory.Delete(DataFolder, recursive: true); } catch (IOException) { }
    }

    private const int SigTerm = 15;

    // DllImport rather than LibraryImport, which would need unsafe code enabled for the whole test project.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private sealed class PortTakenException : Exception;
}
