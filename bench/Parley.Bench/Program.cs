using System.Diagnostics;
using System.Net.Http.Json;
using FakeLlm;
using Parley.Bench;

// Load generator for Parley. It starts FakeLlm in this process and the Parley server as a child process
// (so the server's memory is measured on its own), runs the scenarios and prints Markdown rows for
// docs/BENCHMARKS.md. Usage: dotnet run -c Release --project bench/Parley.Bench -- [stream|slow-readers|context|all]
var scenario = args.FirstOrDefault() ?? "all";
var users = IntArg("--users", 20);
var repliesPerUser = IntArg("--replies", 5);

await using var fake = await FakeLlmHost.StartAsync();
var settings = new Dictionary<string, string>
{
    ["Parley:Auth:PasswordIterations"] = "10000",
    ["Parley:Providers:fake:BaseUrl"] = fake.BaseUrl.ToString(),
    ["Parley:Providers:fake:Models:0"] = "fake?tokens=200&tps=200",
    ["Parley:Providers:fake:Models:1"] = "fake?tokens=30000",
    ["Parley:Providers:fake:Models:2"] = "fake?tokens=5",
    ["Parley:Providers:fake:ContextWindow"] = "1000000",
    ["Parley:Generation:MaxConcurrentReplies"] = "256",
    ["Parley:Limits:SendsPerMinute"] = "100000",
};
Console.WriteLine($"# Parley bench, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}");

if (scenario is "stream" or "all") await StreamScenario();
if (scenario is "slow-readers" or "all") await SlowReaderScenario(0);
if (scenario is "slow-readers" or "all") await SlowReaderScenario(50);
if (scenario is "context" or "all") await ContextScenario();
return;

// Many users chatting at once: each sends, streams the reply to its end, and sends again.
async Task StreamScenario()
{
    await using var server = await ServerProcess.StartAsync(settings);
    var clients = await Task.WhenAll(Enumerable.Range(0, users).Select(i => BenchClient.SignUpAsync(server.BaseUrl, $"bench{i}")));
    // One unmeasured round first, so that start-up costs (JIT, connection pools, query compilation) are not
    // counted as latency.
    await Task.WhenAll(clients.Select(async client =>
    {
        var id = await client.SendAsync(await client.CreateSessionAsync("fake?tokens=200&tps=200"), "warm up");
        await client.StreamAsync(id, Stopwatch.StartNew());
    }));
    var accepted = new List<double>();
    var firstDelta = new List<double>();
    var total = Stopwatch.StartNew();
    var deltas = 0;
    var peakRss = 0L;
    using var sampler = new Timer(_ => peakRss = Math.Max(peakRss, server.ResidentBytes()), null, 0, 100);
    await Task.WhenAll(clients.Select(async client =>
    {
        var session = await client.CreateSessionAsync("fake?tokens=200&tps=200");
        for (var r = 0; r < repliesPerUser; r++)
        {
            var clock = Stopwatch.StartNew();
            var id = await client.SendAsync(session, $"question {r}");
            var sent = clock.Elapsed;
            var (first, count) = await client.StreamAsync(id, clock);
            lock (accepted)
            {
                accepted.Add(sent.TotalMilliseconds);
                firstDelta.Add((first - sent).TotalMilliseconds);
                deltas += count;
            }
        }
    }));
    var seconds = total.Elapsed.TotalSeconds;
    Console.WriteLine($"| stream | {users} users x {repliesPerUser} replies of 200 tokens at 200 tok/s | send→202 p50 {P(accepted, 50):0.0} ms, p95 {P(accepted, 95):0.0} ms | 202→first token p50 {P(firstDelta, 50):0.0} ms, p95 {P(firstDelta, 95):0.0} ms | {deltas / seconds:0} tokens/s delivered | peak RSS {peakRss / 1048576} MiB |");
}

// One long reply (30,000 tokens from the in-process demo model, as fast as Parley can store them) with N
// readers that read nothing until 10 s after the send, while one normal reader follows the reply.
async Task SlowReaderScenario(int stalledReaders)
{
    var demo = new Dictionary<string, string>(settings)
    {
        ["Parley:Demo:ReplyTokens"] = "30000",
        ["Parley:Demo:TokensPerSecond"] = "100000",
        ["Parley:Demo:FirstTokenDelayMs"] = "0",
        ["Parley:Streaming:WriteTimeoutSeconds"] = "120",
    };
    await using var server = await ServerProcess.StartAsync(demo);
    var client = await BenchClient.SignUpAsync(server.BaseUrl, "slow");
    var session = await client.CreateSessionAsync("demo");
    await Task.Delay(1000);
    var before = server.ResidentBytes();
    var peak = before;
    using var sampler = new Timer(_ => peak = Math.Max(peak, server.ResidentBytes()), null, 0, 50);
    var clock = Stopwatch.StartNew();
    var id = await client.SendAsync(session, "a long answer");
    var stalled = new List<HttpResponseMessage>();
    for (var i = 0; i < stalledReaders; i++)
    {
        stalled.Add(await client.Http.GetAsync($"/api/messages/{id}/stream", HttpCompletionOption.ResponseHeadersRead));
    }
    var (_, deltas) = await client.StreamAsync(id, clock);
    var normalReader = clock.Elapsed;
    var reply = await client.Http.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/messages/{id}");
    var generation = reply.GetProperty("completedAt").GetDateTime() - reply.GetProperty("createdAt").GetDateTime();
    if (clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(TimeSpan.FromSeconds(10) - clock.Elapsed);
    var resumeClock = Stopwatch.StartNew();
    var resumed = 0;
    foreach (var response in stalled)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line == "event: delta") resumed++;
            if (line == "event: done") break;
        }
        response.Dispose();
    }
    Console.WriteLine($"| slow readers | {stalledReaders} readers stalled 10 s on a 30,000-token reply | reply generated in {generation.TotalMilliseconds:0} ms; normal reader done in {normalReader.TotalMilliseconds:0} ms | server RSS before {before / 1048576} MiB, peak {peak / 1048576} MiB | stalled readers then read {(stalledReaders == 0 ? 0 : resumed / stalledReaders)} tokens each in {resumeClock.Elapsed.TotalMilliseconds:0} ms in all |");
}

// Time to first token in a fresh session and in one with 400 earlier turns: the prompt is built from the
// newest turns only, so the long session should not be slower.
async Task ContextScenario()
{
    await using var server = await ServerProcess.StartAsync(settings);
    var client = await BenchClient.SignUpAsync(server.BaseUrl, "context");
    var longSession = await client.CreateSessionAsync("fake?tokens=5");
    // The filling turns below also warm the server up before anything is measured.
    for (var i = 0; i < 400; i++)
    {
        var id = await client.SendAsync(longSession, $"turn {i}");
        await client.StreamAsync(id, Stopwatch.StartNew());
    }
    async Task<List<double>> Measure(bool fresh)
    {
        var samples = new List<double>();
        for (var i = 0; i < 30; i++)
        {
            var session = fresh ? await client.CreateSessionAsync("fake?tokens=5") : longSession;
            var clock = Stopwatch.StartNew();
            var id = await client.SendAsync(session, "how long?");
            var (first, _) = await client.StreamAsync(id, clock);
            samples.Add(first.TotalMilliseconds);
        }
        return samples;
    }
    var freshSamples = await Measure(fresh: true);
    var longSamples = await Measure(fresh: false);
    Console.WriteLine($"| context | send→first token, 30 samples each | fresh session p50 {P(freshSamples, 50):0.0} ms, p95 {P(freshSamples, 95):0.0} ms | 400-turn session p50 {P(longSamples, 50):0.0} ms, p95 {P(longSamples, 95):0.0} ms |");
}

static double P(List<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    return sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];
}

int IntArg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var value) ? value : fallback;
}
