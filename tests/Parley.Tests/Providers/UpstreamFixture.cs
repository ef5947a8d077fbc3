using FakeLlm;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Providers;

// Parley in front of FakeLlm, a real OpenAI-compatible server on a loopback port. Each scenario gets its own
// provider entry, so one scenario's failures never open another's circuit breaker.
public sealed class UpstreamFixture : IAsyncLifetime
{
    public const string ApiKey = "sk-test-upstream-secret";
    public const string Slow = "fake?tokens=60&tps=25";
    public const string Reset = "fake?reset_after=5&tokens=20";
    public const string Stall = "fake?stall_after=3&tokens=20";
    public const string Malformed = "fake?malformed_after=2&tokens=20";
    public const string Utf8 = "fake?split_utf8=1&tokens=40";
    public const string Unauthorized = "fake?status=401";
    public const string Quirky = "fake?reasoning=1&no_usage=1&tokens=8";
    public const string ErrorEvent = "fake?error_after=4&tokens=20";
    public const string NoQuota = "fake?status=429&code=insufficient_quota";
    public const string SlowHeaders = "late?header_delay_ms=4000";
    public const string Nowhere = "nowhere";
    public const string RateLimited = "rl?status=429&times=2&retry_after=1";
    // Fallback keys are model ids, and the test host passes settings as "--key=value" arguments, so these two
    // carry no '=' directives; FakeLlm fails them through process-wide faults instead.
    public const string Primary = "primary";
    public const string Backup = "backup";
    public const string Breaking = "brk";
    public static readonly string Calculator = "fake?tool=calculator&args=" + Uri.EscapeDataString("{\"expression\":\"(2+3)*4\"}") + "&tokens=12";
    public static readonly string LoopingTool = "fake?tool=calculator&tool_loop=1&args=" + Uri.EscapeDataString("{\"expression\":\"1+1\"}");
    public static readonly string PrefacedLoop = LoopingTool + "&preface=" + Uri.EscapeDataString("Let me work that out.");
    public static readonly string BrokenTool = "fake?tool=calculator&args=" + Uri.EscapeDataString("{\"expression\":\"1/0\"}") + "&tokens=12";

    public FakeLlmHost Fake { get; private set; } = null!;
    public ParleyApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Fake = await FakeLlmHost.StartAsync();
        Fake.Inspector.AddFault(Primary, 503);
        Fake.Inspector.AddFault(Breaking, 503);
        var url = Fake.BaseUrl.ToString();
        var settings = new Dictionary<string, string?>
        {
            ["Parley:DefaultModel"] = "fake",
            ["Parley:Providers:main:BaseUrl"] = url,
            ["Parley:Providers:main:ApiKey"] = ApiKey,
            ["Parley:Providers:main:IdleTimeoutSeconds"] = "1",
            ["Parley:Providers:main:FirstTokenTimeoutSeconds"] = "5",
            ["Parley:Providers:main:BreakerFailureThreshold"] = "1000",
            ["Parley:Providers:ratelimited:BaseUrl"] = url,
            ["Parley:Providers:ratelimited:MaxRetries"] = "3",
            ["Parley:Providers:ratelimited:Models:0"] = RateLimited,
            ["Parley:Providers:flaky:BaseUrl"] = url,
            ["Parley:Providers:flaky:RetryBaseDelayMs"] = "20",
            ["Parley:Providers:flaky:BreakerFailureThreshold"] = "1000",
            ["Parley:Providers:flaky:Models:0"] = Primary,
            ["Parley:Providers:backup:BaseUrl"] = url,
            ["Parley:Providers:backup:Models:0"] = Backup,
            ["Parley:Providers:breaking:BaseUrl"] = url,
            ["Parley:Providers:breaking:MaxRetries"] = "0",
            ["Parley:Providers:breaking:BreakerFailureThreshold"] = "3",
            ["Parley:Providers:breaking:BreakerOpenSeconds"] = "300",
            ["Parley:Providers:breaking:Models:0"] = Breaking,
            ["Parley:Providers:slowstart:BaseUrl"] = url,
            ["Parley:Providers:slowstart:FirstTokenTimeoutSeconds"] = "1",
            ["Parley:Providers:slowstart:MaxRetries"] = "0",
            ["Parley:Providers:slowstart:Models:0"] = SlowHeaders,
            // Nothing listens on port 1: every connect is refused.
            ["Parley:Providers:closed:BaseUrl"] = "http://127.0.0.1:1/v1",
            ["Parley:Providers:closed:MaxRetries"] = "2",
            ["Parley:Providers:closed:RetryBaseDelayMs"] = "10",
            ["Parley:Providers:closed:Models:0"] = Nowhere,
            ["Parley:Fallbacks:" + Primary + ":0"] = Backup,
            ["Parley:Fallbacks:" + Breaking + ":0"] = Backup,
        };
        string[] mainModels = ["fake", Slow, Reset, Stall, Malformed, Utf8, Unauthorized, Quirky, Calculator, BrokenTool, LoopingTool, PrefacedLoop, ErrorEvent, NoQuota];
        for (var i = 0; i < mainModels.Length; i++) settings[$"Parley:Providers:main:Models:{i}"] = mainModels[i];
        App = new ParleyApp(settings);
        App.StartServer();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Fake.DisposeAsync();
    }

    public async Task<ParleyClient> SignedInAsync()
    {
        var client = App.NewClient();
        await client.SignUpAsync();
        return client;
    }

    // Requests FakeLlm received for one model, in order.
    public IReadOnlyList<FakeRequestRecord> RequestsFor(string model) => Fake.Inspector.Requests.Where(r => r.Model == model).ToList();
}
