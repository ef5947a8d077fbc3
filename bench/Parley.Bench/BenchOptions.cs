using System.Globalization;

namespace Parley.Bench;

// Command-line options. Every loop the bench runs is bounded by these: a duration per step, a fixed list of
// concurrency steps, and fixed sample counts for the two single-user benchmarks.
internal sealed record BenchOptions
{
    public IReadOnlyList<string> Scenarios { get; init; } = ["direct", "relay", "interleaved", "chat", "history", "sessions"];
    public IReadOnlyList<int> Steps { get; init; } = [1, 10, 100, 250, 500, 1000, 2000];
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(8);
    // Tokens a step of the scenarios with stamped tokens (direct, relay, target) runs for at least, so that the
    // per-token p99 of a step with few streams is not the fourth-slowest of 400 tokens: one stream runs 40 s.
    public int MinTokens { get; init; } = 2_000;
    // The interleaved scenario runs the steps up to this many streams: it reads the relay's added latency per token
    // where the floor's own is small enough for the target to be read at all. Its steps run as long as direct's,
    // so each of its two paths gets half the tokens.
    public const int InterleavedMaxStreams = 10;
    // Unmeasured load before a scenario's first step: a fresh server compiles its hot paths again (tiered JIT)
    // for several seconds, and that CPU is not what a running server costs.
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(25);
    public int TtftMs { get; init; }
    public int TokensPerSecond { get; init; } = 50;
    public int Tokens { get; init; } = 100;
    public IReadOnlyList<string> Databases { get; init; } = ["sqlite", "postgres"];
    public string OutputFolder { get; init; } = "bench-results";
    public Uri? Target { get; init; }
    public string TargetModel { get; init; } = "fake";
    public IReadOnlyList<(string Name, string Value)> Headers { get; init; } = [];
    // Extra environment for the Parley processes the bench starts, e.g. DOTNET_PerfMapEnabled=1 to profile them.
    public IReadOnlyDictionary<string, string> ServerEnvironment { get; init; } = new Dictionary<string, string>();
    public Uri? Parley { get; init; }
    public string? ParleyKey { get; init; }
    public int HistoryMessages { get; init; } = 10_000;
    public int ListSessions { get; init; } = 10_000;
    public int Samples { get; init; } = 40;
    public bool Smoke { get; init; }
    // A results.json of an earlier run, whose chart and summary are drawn again instead of running anything.
    public string? RedrawFrom { get; init; }

    // Nominal gap between tokens; a gap over three times this is a stall.
    public TimeSpan TokenInterval => TimeSpan.FromSeconds(1.0 / TokensPerSecond);

    // How long a step of `users` streams with stamped tokens runs: the duration, or longer for MinTokens.
    public TimeSpan StampedStepDuration(int users) =>
        TimeSpan.FromSeconds(Math.Max(Duration.TotalSeconds, MinTokens / (double)(users * TokensPerSecond)));

    public string FakeModel => $"fake?tokens={Tokens}&tps={TokensPerSecond}&ttft_ms={TtftMs}";

    public const string Usage = """
        Parley.Bench: measures Parley against the direct path to the upstream.

          --scenarios direct,relay,interleaved,chat,history,sessions,target   which to run (default: all but target)
          --steps 1,10,100,250,500,1000,2000    concurrent streams per step
          --duration 8                          seconds per step
          --min-tokens 2000                     direct, relay and target steps run at least this many tokens
          --warmup 25                           unmeasured seconds of load before each scenario
          --ttft-ms 0 --tps 50 --tokens 100     FakeLlm's pacing and reply length
          --db sqlite,postgres                  databases for the chat scenario (postgres needs initdb/pg_ctl)
          --out bench-results                   folder for results.json and chart.svg
          --target URL [--model M] [--header 'Name: value']...   any OpenAI-compatible endpoint (scenario 'target')
          --parley URL --key pk_...             a running Parley instead of one started here (relay and chat)
          --history 10000 --sessions 10000 --samples 40   sizes of the two single-user benchmarks
          --server-env NAME=VALUE               extra environment for the Parley it starts (repeatable)
          --smoke                               a few seconds of everything, to check the bench still works
          --redraw results.json                 draw an earlier run's chart and summary again into --out; runs nothing
        """;

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        var headers = new List<(string, string)>();
        var environment = new Dictionary<string, string>();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            static List<string> List(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--scenarios" => options with { Scenarios = List(Next()) },
                "--steps" => options with { Steps = List(Next()).Select(Int).ToList() },
                "--warmup" => options with { Warmup = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)) },
                "--duration" => options with { Duration = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)) },
                "--min-tokens" => options with { MinTokens = Int(Next()) },
                "--ttft-ms" => options with { TtftMs = Int(Next()) },
                "--tps" => options with { TokensPerSecond = Int(Next()) },
                "--tokens" => options with { Tokens = Int(Next()) },
                "--db" => options with { Databases = List(Next()) },
                "--out" => options with { OutputFolder = Next() },
                "--target" => options with { Target = new Uri(Next()) },
                "--model" => options with { TargetModel = Next() },
                "--parley" => options with { Parley = new Uri(Next()) },
                "--key" => options with { ParleyKey = Next() },
                "--history" => options with { HistoryMessages = Int(Next()) },
                "--sessions" => options with { ListSessions = Int(Next()) },
                "--samples" => options with { Samples = Int(Next()) },
                "--smoke" => options with
                {
                    Smoke = true, Steps = [1, 4], Duration = TimeSpan.FromSeconds(1.5), MinTokens = 0, Warmup = TimeSpan.FromSeconds(1), Tokens = 10, TokensPerSecond = 100,
                    HistoryMessages = 200, ListSessions = 200, Samples = 5,
                },
                "--redraw" => options with { RedrawFrom = Next() },
                "--header" => AddHeader(options, Next(), headers),
                "--server-env" => AddEnvironment(options, Next(), environment),
                "-h" or "--help" => throw new ArgumentException(Usage),
                _ => throw new ArgumentException($"Unknown option {args[i]}.\n\n{Usage}"),
            };
        }
        if (options.Scenarios.Contains("target") && options.Target is null) throw new ArgumentException("Scenario 'target' needs --target URL.");
        if (options.Target is not null && !options.Scenarios.Contains("target")) options = options with { Scenarios = [.. options.Scenarios, "target"] };
        return options with { Headers = headers, ServerEnvironment = environment };
    }

    private static BenchOptions AddEnvironment(BenchOptions options, string variable, Dictionary<string, string> environment)
    {
        var equals = variable.IndexOf('=');
        if (equals <= 0) throw new ArgumentException($"--server-env '{variable}' must look like NAME=VALUE.");
        environment[variable[..equals]] = variable[(equals + 1)..];
        return options;
    }

    private static BenchOptions AddHeader(BenchOptions options, string header, List<(string, string)> headers)
    {
        var colon = header.IndexOf(':');
        if (colon <= 0) throw new ArgumentException($"--header '{header}' must look like 'Name: value'.");
        headers.Add((header[..colon].Trim(), header[(colon + 1)..].Trim()));
        return options;
    }
}
