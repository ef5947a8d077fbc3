using System.Diagnostics;
using System.Text.Json;
using Parley.Bench;
using Parley.Bench.Load;
using Parley.Bench.Report;
using Parley.Bench.Scenarios;

// Parley.Bench measures Parley against the direct path to the upstream (docs/BENCHMARKS.md). It starts FakeLlm
// and Parley as child processes (so that each one's CPU and memory are read on their own from /proc, and neither
// shares a garbage collector or thread pool with the load client), runs each scenario at each concurrency step,
// and writes results.json and chart.svg.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

var jsonOptions = new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
if (options.RedrawFrom is { } earlier)
{
    if (!File.Exists(earlier))
    {
        Console.Error.WriteLine($"--redraw: no file {earlier}.");
        return 2;
    }
    var earlierResults = JsonSerializer.Deserialize<BenchResults>(await File.ReadAllTextAsync(earlier), jsonOptions)!;
    Directory.CreateDirectory(options.OutputFolder);
    await File.WriteAllTextAsync(Path.Combine(options.OutputFolder, "chart.svg"), SvgChart.Render(earlierResults));
    Console.WriteLine(SummaryTable.Render(earlierResults));
    return 0;
}

var started = DateTime.UtcNow;
var machine = $"{Environment.ProcessorCount} cores, {MemoryGiB():0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
var conditions = $"{options.Duration.TotalSeconds:0.#} s per step, direct's and relay's at least {options.MinTokens} tokens; FakeLlm: {options.Tokens} tokens at {options.TokensPerSecond} tokens/s, first token after {options.TtftMs} ms";
Console.WriteLine($"Parley.Bench {started:yyyy-MM-dd HH:mm} UTC — {machine}\n{conditions}\n");
var results = new BenchResults(started, machine, conditions, [], null, null);
var stallGap = options.TokenInterval * 3;

await using var fake = await ServerProcess.StartFakeLlmAsync();
using var load = LoadClient();

var direct = new OpenAiStreamer(load, new Uri(fake.BaseUrl, "chat/completions"), options.FakeModel, [], stallGap);
if (options.Scenarios.Contains("direct"))
{
    await RunStepsAsync("direct", direct.RunAsync, server: null, upstream: fake, stampedTokens: true);
}

if (options.Scenarios.Contains("relay") || options.Scenarios.Contains("interleaved"))
{
    await using var server = options.Parley is null ? await StartParleyAsync(null) : null;
    var (baseUrl, key) = server is null ? (options.Parley!, options.ParleyKey!) : (server.BaseUrl, await NewKeyAsync(server.BaseUrl));
    var relay = new OpenAiStreamer(load, new Uri(baseUrl, "/v1/chat/completions"), options.FakeModel, [("Authorization", "Bearer " + key)], stallGap);
    var upstream = server is null ? null : fake;
    if (options.Scenarios.Contains("relay")) await RunStepsAsync("relay", relay.RunAsync, server, upstream, stampedTokens: true);
    if (options.Scenarios.Contains("interleaved"))
    {
        // Each user's streams alternate between FakeLlm itself and Parley's /v1, so that the relay's added latency
        // per token is read against a floor measured over the same seconds (docs/BENCHMARKS.md).
        if (!options.Scenarios.Contains("relay")) await WarmUpAsync(relay.RunAsync);
        foreach (var users in options.Steps.Where(s => s <= BenchOptions.InterleavedMaxStreams))
        {
            await MeasureStepAsync(users, options.StampedStepDuration(users), server, upstream,
                [new StepPath("interleaved-direct", direct.RunAsync, ThroughServer: false), new StepPath("interleaved-relay", relay.RunAsync, ThroughServer: true)]);
        }
    }
}

if (options.Scenarios.Contains("chat"))
{
    foreach (var database in options.Databases)
    {
        await using var server = await StartParleyAsync(database == "postgres" ? PostgresForBench.CreateDatabase() : null);
        using var chatHttp = LoadClient(server.BaseUrl);
        var keys = new List<string>();
        for (var i = 0; i < Math.Min(ChatAccounts, options.Steps.Max()); i++) keys.Add(await NewKeyAsync(server.BaseUrl));
        var chat = new ChatStreamer(chatHttp, keys, options.FakeModel, stallGap);
        await RunStepsAsync($"chat-{database}", chat.RunAsync, server, upstream: fake);
    }
}

if (options.Scenarios.Contains("target"))
{
    var target = new OpenAiStreamer(load, new Uri(options.Target!.ToString().TrimEnd('/') + "/chat/completions"), options.TargetModel, options.Headers, stallGap);
    await RunStepsAsync("target", target.RunAsync, server: null, upstream: null, stampedTokens: true);
}

if (options.Scenarios.Contains("history") || options.Scenarios.Contains("sessions"))
{
    await using var server = await StartParleyAsync(null);
    var client = await BenchClient.SignUpAsync(server.BaseUrl, "single");
    if (options.Scenarios.Contains("history"))
    {
        Console.WriteLine($"history: {options.HistoryMessages} messages against 10, {options.Samples} samples each");
        results = results with { History = await SingleUserBenchmarks.LongHistoryAsync(server, client, ShortReplyModel, options) };
    }
    if (options.Scenarios.Contains("sessions"))
    {
        Console.WriteLine($"sessions: listing with {options.ListSessions} sessions");
        results = results with { SessionList = await SingleUserBenchmarks.SessionListAsync(server, client, ShortReplyModel, options) };
    }
}

Directory.CreateDirectory(options.OutputFolder);
var json = Path.Combine(options.OutputFolder, "results.json");
var chart = Path.Combine(options.OutputFolder, "chart.svg");
await File.WriteAllTextAsync(json, JsonSerializer.Serialize(results, jsonOptions));
await File.WriteAllTextAsync(chart, SvgChart.Render(results));
Console.WriteLine();
Console.WriteLine(SummaryTable.Render(results));
Console.WriteLine($"Wrote {Path.GetFullPath(json)} and {Path.GetFullPath(chart)} in {(DateTime.UtcNow - started).TotalMinutes:0.0} min.");
return results.Steps.Count > 0 && results.Steps.All(s => s.Streams > 0) ? 0 : 1;

// server is the Parley whose CPU and memory are measured; upstream the FakeLlm serving the streams, whose CPU is;
// stampedTokens, that the scenario's tokens carry FakeLlm's send stamp, so its steps run at least MinTokens tokens.
async Task RunStepsAsync(string scenario, Func<StreamStats, CancellationToken, Task> oneStream, ServerProcess? server, ServerProcess? upstream,
    bool stampedTokens = false)
{
    await WarmUpAsync(oneStream);
    foreach (var users in options.Steps)
    {
        await MeasureStepAsync(users, stampedTokens ? options.StampedStepDuration(users) : options.Duration, server, upstream,
            [new StepPath(scenario, oneStream, ThroughServer: server is not null)]);
    }
}

// An unmeasured round first, so that start-up costs (tiered JIT, pools, query compilation) are not counted. A
// method reaches its final code after some 60 calls (tier 0, then instrumented, then tier 1) and a chat turn
// calls much of its path once: at 20 users and 6 s, the JIT still took a quarter of the CPU at one reply.
// The round is also long enough, at 100 users, to hold a fresh server's first gen1 collection, which moves
// all it kept from its start to gen2 (17 MB, about 100 ms) once in its life and would otherwise fall in a
// measured step (docs/BENCHMARKS.md).
Task WarmUpAsync(Func<StreamStats, CancellationToken, Task> oneStream) => LoadStep.RunAsync(Math.Min(100, options.Steps.Max()), options.Warmup, oneStream);

// One step of `users` virtual users, each taking the paths in turn (LoadStep), and a result for each path. A path's
// added figures are its own minus those of the step's floor: `direct` at the same step, or the first path of an
// interleaved step. Memory per stream is read for a step of one path only: with two, the streams through Parley
// come and go.
async Task MeasureStepAsync(int users, TimeSpan duration, ServerProcess? server, ServerProcess? upstream, IReadOnlyList<StepPath> paths)
{
    await Quiet.WaitAsync(server, upstream);
    using var watch = server is null || paths.Count > 1 ? null : new ServerMonitor(server);
    watch?.Begin();
    var cores = new CoreMeter(upstream, server);
    var clock = Stopwatch.StartNew();
    var name = string.Join('+', paths.Select(p => p.Scenario));
    // A live line on a terminal; a log (CI) gets only the line per step.
    var measured = await LoadStep.RunAsync(users, duration, paths.Select(p => p.OneStream).ToList(), Console.IsOutputRedirected ? null : perUser =>
        Console.Write($"\r  {name,-18} {users,5} streams  {clock.Elapsed.TotalSeconds,5:0.0} s  " +
            $"{perUser.Sum(s => s.Streams),7} done  {perUser.Sum(s => s.Tokens),9} tokens  {perUser.Sum(s => s.Stalls),5} stalls  {perUser.Sum(s => s.Errors),4} errors "));
    var seconds = clock.Elapsed.TotalSeconds;
    var coreUse = cores.Stop();
    var peakRss = watch?.End();
    var allTokens = measured.Sum(s => s.Tokens);
    var serverTokens = paths.Zip(measured).Where(p => p.First.ThroughServer).Sum(p => p.Second.Tokens);
    static double? PerThousand(double? cores, double seconds, long tokens) => cores is { } used && tokens > 0 ? used * seconds / tokens * 1000 : null;

    for (var i = 0; i < paths.Count; i++)
    {
        var (scenario, stats, throughServer) = (paths[i].Scenario, measured[i], paths[i].ThroughServer);
        var ttft = Percentiles.Of(stats.TimeToFirstTokenMs);
        var token = Percentiles.Of(stats.TokenLatencyUs);
        var floorScenario = paths.Count > 1 ? paths[0].Scenario : "direct";
        var floor = scenario == floorScenario ? null : results.Steps.FirstOrDefault(s => s.Scenario == floorScenario && s.Concurrency == users);
        var step = new StepResult(scenario, users, seconds, stats.Streams, stats.Tokens, stats.Errors, stats.FirstError,
            ttft, floor is null ? null : ttft.Minus(floor.TimeToFirstTokenMs),
            token, floor is null || token.Count == 0 ? null : token.Minus(floor.TokenLatencyUs),
            Percentiles.Of(stats.GapMs), stats.Stalls,
            throughServer ? PerThousand(coreUse.Parley, seconds, serverTokens) : null, PerThousand(coreUse.FakeLlm, seconds, allTokens),
            watch?.IdleRssMiB, peakRss,
            peakRss is { } peak ? Math.Max(0, peak - watch!.IdleRssMiB) * 1024 / users : null,
            coreUse,
            ChatPhases.Of(stats));
        results.Steps.Add(step);
        Console.WriteLine($"\r  {scenario,-18} {users,5} streams  ttft p50/p99 {ttft.P50,7:0.0}/{ttft.P99,7:0.0} ms  token p99 {token.P99,8:0} µs  " +
            $"gap p99 {step.GapMs.P99,6:0.0} ms  {Phases(step)}stalls {stats.Stalls,5}  errors {stats.Errors,4}  cores {SummaryTable.Cores(coreUse)}{(stats.FirstError is null ? "" : "  first: " + stats.FirstError)}");
    }
}

static string Phases(StepResult step) => step.Phases is { } p
    ? $"send / open / first p50 {p.SendMs.P50:0.0}/{p.StreamOpenMs.P50:0.0}/{p.FirstTokenWaitMs.P50:0.0} p99 {p.SendMs.P99:0.0}/{p.StreamOpenMs.P99:0.0}/{p.FirstTokenWaitMs.P99:0.0} ms  "
    : "";

async Task<ServerProcess> StartParleyAsync(string? connectionString)
{
    var settings = new Dictionary<string, string>
    {
        ["Parley:Auth:PasswordIterations"] = "10000",
        ["Parley:Providers:fake:BaseUrl"] = fake.BaseUrl.ToString(),
        ["Parley:Providers:fake:Models:0"] = options.FakeModel,
        ["Parley:Providers:fake:Models:1"] = ShortReplyModel,
        ["Parley:Providers:fake:ContextWindow"] = "1000000",
        ["Parley:Providers:fake:BreakerFailureThreshold"] = "1000",
        ["Parley:Generation:MaxConcurrentReplies"] = "4096",
        ["Parley:Limits:SendsPerMinute"] = "1000000",
        ["Parley:Limits:KeyRequestsPerMinute"] = "1000000",
        ["Parley:Limits:MaxConcurrentReplies"] = "10000",
        // The collector's gen1 cap that Parley is run with (its launchSettings.json and the README's
        // Configuration); it has no runtimeconfig name, so it travels in the environment. --server-env overrides it.
        ["DOTNET_GCGen1MaxBudget"] = "0x600000",
    };
    foreach (var (name, value) in options.ServerEnvironment) settings[name] = value;
    return await ServerProcess.StartParleyAsync(settings, connectionString);
}

async Task<string> NewKeyAsync(Uri baseUrl)
{
    var client = await BenchClient.SignUpAsync(baseUrl, "bench" + Guid.NewGuid().ToString("N")[..8]);
    return client.Http.DefaultRequestHeaders.Authorization!.Parameter!;
}

HttpClient LoadClient(Uri? baseAddress = null) => new(new SocketsHttpHandler
{
    MaxConnectionsPerServer = int.MaxValue,
    ConnectTimeout = TimeSpan.FromSeconds(30),
    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
})
{
    BaseAddress = baseAddress,
    Timeout = Timeout.InfiniteTimeSpan,
};

static double MemoryGiB()
{
    var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1048576.0;
}

// One path of a step's streams: the scenario it is reported as, one stream of it, and whether it goes through the
// Parley whose CPU is measured.
internal sealed record StepPath(string Scenario, Func<StreamStats, CancellationToken, Task> OneStream, bool ThroughServer);

internal static partial class Program
{
    private const string ShortReplyModel = "fake?tokens=5";
    // Accounts the chat scenario's virtual users share, in turn.
    private const int ChatAccounts = 100;
}
