using System.ClientModel;
using FakeLlm;
using OpenAI;
using OpenAI.Chat;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.OpenAiApi;

// Parley's /v1 API in front of FakeLlm on a real loopback port. Each test signs up its own user and key, so
// per-key limits and usage never mix between tests.
public sealed class V1Fixture : IAsyncLifetime
{
    public const int KeyRequestsPerMinute = 6;
    public const string Plain = "fake";
    public const string Reasoning = "fake?reasoning=1&tokens=6";
    public const string NoUsage = "fake?no_usage=1&tokens=8";
    public const string ErrorMidStream = "fake?error_after=3&tokens=12";
    public const string ResetMidStream = "fake?reset_after=3&tokens=12";
    public const string Slow = "fake?tokens=400&tps=50";
    public const string UpstreamRefuses = "fake?status=400";
    // Fails by a process-wide fault (a model id with '=' cannot be a configuration key of Fallbacks).
    public const string Throttled = "throttled";
    public const string Failing = "failing";
    public const string Standby = "standby";
    public static readonly string Weather = "fake?tool=get_weather&args=" + Uri.EscapeDataString("{\"city\":\"Paris\"}") + "&tokens=10";

    public FakeLlmHost Fake { get; private set; } = null!;
    public ParleyApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Fake = await FakeLlmHost.StartAsync();
        Fake.Inspector.AddFault(Throttled, 429);
        Fake.Inspector.AddFault(Failing, 503);
        var url = Fake.BaseUrl.ToString();
        var settings = new Dictionary<string, string?>
        {
            ["Parley:Limits:KeyRequestsPerMinute"] = KeyRequestsPerMinute.ToString(),
            ["Parley:Providers:main:BaseUrl"] = url,
            ["Parley:Providers:main:ApiKey"] = "sk-upstream-secret",
            ["Parley:Providers:main:IdleTimeoutSeconds"] = "2",
            ["Parley:Providers:main:BreakerFailureThreshold"] = "1000",
            ["Parley:Providers:main:MaxRetries"] = "0",
            ["Parley:Providers:limited:BaseUrl"] = url,
            ["Parley:Providers:limited:MaxRetries"] = "2",
            ["Parley:Providers:limited:RetryBaseDelayMs"] = "10",
            ["Parley:Providers:limited:BreakerFailureThreshold"] = "1000",
            ["Parley:Providers:limited:Models:0"] = Throttled,
            ["Parley:Providers:failing:BaseUrl"] = url,
            ["Parley:Providers:failing:MaxRetries"] = "0",
            ["Parley:Providers:failing:BreakerFailureThreshold"] = "1000",
            ["Parley:Providers:failing:Models:0"] = Failing,
            ["Parley:Providers:standby:BaseUrl"] = url,
            ["Parley:Providers:standby:Models:0"] = Standby,
            ["Parley:Fallbacks:" + Failing + ":0"] = Standby,
        };
        string[] models = [Plain, Reasoning, NoUsage, ErrorMidStream, ResetMidStream, Slow, UpstreamRefuses, Weather];
        for (var i = 0; i < models.Length; i++) settings[$"Parley:Providers:main:Models:{i}"] = models[i];
        App = new ParleyApp(settings);
        App.StartServer();
    }

    public Uri V1 => new(App.BaseAddress, "/v1");

    // A signed-up user with a fresh API key, as a Parley client (for /api) and the key itself.
    public async Task<(ParleyClient Client, string Key)> NewCallerAsync()
    {
        var client = App.NewClient();
        await client.SignUpAsync();
        var key = await client.UseApiKeyAsync();
        return (client, key);
    }

    // The official SDK pointed at Parley, with its own retries off so that each call is one request.
    public ChatClient Sdk(string model, string key) =>
        new(model, new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = V1,
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0),
        });

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Fake.DisposeAsync();
    }
}
