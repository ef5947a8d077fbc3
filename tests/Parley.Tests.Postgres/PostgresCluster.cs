using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Parley.Tests.Infrastructure;

// One throwaway PostgreSQL cluster per test run, started from the machine's initdb and pg_ctl on a free loopback
// port in a temporary folder, and removed when the test process exits, whether the tests passed or not. Every
// test host gets a database of its own in it. PostgreSQL refuses to run as root, so under root the cluster
// belongs to the `postgres` account and its commands run through runuser.
//
// Speed over safety: fsync and synchronous commit are off, since the cluster never outlives the run. A run that
// was killed (so its exit handler never ran) leaves its cluster behind; the next run stops and removes it.
public sealed class PostgresCluster
{
    private const string ServiceAccount = "postgres";
    private static readonly string Parent = Path.Combine(Path.GetTempPath(), "parley-pg");
    private static readonly Lazy<PostgresCluster> Instance = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private PostgresCluster(string folder, int port)
    {
        Folder = folder;
        Port = port;
    }

    public static PostgresCluster Shared => Instance.Value;

    public string Folder { get; }

    public int Port { get; }

    private string DataFolder => Path.Combine(Folder, "data");

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = ServiceAccount,
        Database = database,
        // Many test hosts run at once, each with its own pool.
        MaxPoolSize = 50,
    }.ToString();

    // A new, empty database; the server under test migrates it at startup.
    public string CreateDatabase()
    {
        var name = "parley_" + Guid.NewGuid().ToString("N")[..16];
        Execute($"CREATE DATABASE {name}");
        return ConnectionString(name);
    }

    public void DropDatabase(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        try
        {
            Execute($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        }
        catch (NpgsqlException)
        {
            // The cluster goes at the end of the run anyway.
        }
    }

    private void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private static PostgresCluster Start()
    {
        Directory.CreateDirectory(Parent);
        RemoveAbandonedClusters();

        var folder = Path.Combine(Parent, $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "owner.pid"), Environment.ProcessId.ToString());
        if (IsRoot) Run("chown", "-R", $"{ServiceAccount}:", folder);

        var port = FreePort();
        var cluster = new PostgresCluster(folder, port);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.StopNow();
        try
        {
            RunAsServiceAccount("initdb", "-D", cluster.DataFolder, "-U", ServiceAccount, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync");
            var options = string.Join(' ',
                $"-p {port}", $"-k {folder}", "-c listen_addresses=127.0.0.1", "-c max_connections=500",
                "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c shared_buffers=64MB");
            RunAsServiceAccount("pg_ctl", "-D", cluster.DataFolder, "-o", options, "-l", Path.Combine(folder, "postgres.log"), "-w", "-t", "60", "start");
            cluster.WatchOwner();
        }
        catch
        {
            cluster.Remove();
            throw;
        }
        return cluster;
    }

    // The test host may be ended moments after its exit handlers start, so the handler only signals the server
    // (an immediate shutdown); the watcher started with the cluster removes the folder once this process is gone.
    private void StopNow()
    {
        try
        {
            var pidFile = Path.Combine(DataFolder, "postmaster.pid");
            if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).First(), out var postmaster))
                Run("kill", "-QUIT", postmaster.ToString());
        }
        catch (Exception)
        {
            // The watcher stops it anyway.
        }
    }

    // A detached shell, in a session of its own, that outlives this process however it ends (even SIGKILL):
    // it waits for the process to go, then stops the cluster and deletes its folder.
    private void WatchOwner()
    {
        var pgCtl = ServerProgram("pg_ctl");
        var stop = IsRoot ? $"runuser -u {ServiceAccount} -- '{pgCtl}' -D '{DataFolder}' -m immediate -w stop" : $"'{pgCtl}' -D '{DataFolder}' -m immediate -w stop";
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; " +
            $"[ -f '{DataFolder}/postmaster.pid' ] && {stop} >/dev/null 2>&1; rm -rf '{Folder}'";
        var start = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "sh", "-c", script }) start.ArgumentList.Add(argument);
        using var watcher = Process.Start(start) ?? throw new InvalidOperationException("Could not start the cluster's watcher.");
    }

    private void Remove()
    {
        NpgsqlConnection.ClearAllPools();
        Stop(DataFolder);
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void Stop(string dataFolder)
    {
        if (!File.Exists(Path.Combine(dataFolder, "postmaster.pid"))) return;
        try
        {
            RunAsServiceAccount("pg_ctl", "-D", dataFolder, "-m", "immediate", "-w", "stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
    }

    // Clusters whose test process is gone: that run was killed before its exit handler could remove them.
    private static void RemoveAbandonedClusters()
    {
        foreach (var folder in Directory.EnumerateDirectories(Parent))
        {
            var ownerFile = Path.Combine(folder, "owner.pid");
            if (File.Exists(ownerFile) && int.TryParse(File.ReadAllText(ownerFile), out var owner) && IsAlive(owner)) continue;
            Stop(Path.Combine(folder, "data"));
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static void RunAsServiceAccount(string program, params string[] arguments)
    {
        var path = ServerProgram(program);
        if (IsRoot) Run("runuser", ["-u", ServiceAccount, "--", path, .. arguments]);
        else Run(path, arguments);
    }

    // PostgreSQL's server programs: on PATH, or where Debian and Ubuntu install them (not on PATH by default).
    private static string ServerProgram(string name)
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
        if (onPath is not null) return onPath;
        var packaged = Directory.Exists("/usr/lib/postgresql")
            ? Directory.EnumerateDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin", name)).Where(File.Exists).OrderDescending().FirstOrDefault()
            : null;
        return packaged ?? throw new InvalidOperationException(
            $"The PostgreSQL tests start their own PostgreSQL server and need its '{name}' program (PostgreSQL 15 or later) on PATH.");
    }

    private static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} did not finish within 90 s.");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}:\n{output.Result}\n{error.Result}");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
