using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.OpenAiApi;

// The official openai npm package under node (tests/sdk-node/sdk.test.mjs), driven from here against the same
// Parley and FakeLlm: non-streaming, streaming, streaming with usage, a tool round trip, passthrough and errors.
public sealed class NodeSdkTests(V1Fixture fixture) : IClassFixture<V1Fixture>
{
    private static readonly string Folder = Repository.PathOf("tests", "sdk-node");

    [Fact]
    public async Task The_official_node_sdk_passes_its_tests_against_parley()
    {
        await EnsurePackagesAsync();
        var keys = new List<string>();
        for (var i = 0; i < 5; i++) keys.Add((await fixture.NewCallerAsync()).Key);
        var models = JsonSerializer.Serialize(new { plain = V1Fixture.Plain, weather = V1Fixture.Weather, throttled = V1Fixture.Throttled });

        var (exit, output) = await RunAsync("node", "--test --test-reporter=tap", new Dictionary<string, string>
        {
            ["PARLEY_V1"] = fixture.V1.ToString(),
            ["PARLEY_KEYS"] = string.Join(",", keys),
            ["PARLEY_MODELS"] = models,
        });

        Assert.True(exit == 0, "node --test failed:\n" + output);
        Assert.Contains("# pass 5", output);
    }

    // npm ci once per checkout: the package is pinned in package-lock.json and never committed.
    private static async Task EnsurePackagesAsync()
    {
        if (File.Exists(Path.Combine(Folder, "node_modules", "openai", "package.json"))) return;
        var (exit, output) = await RunAsync("npm", "ci --no-audit --no-fund", new Dictionary<string, string>());
        Assert.True(exit == 0, "npm ci failed in tests/sdk-node:\n" + output);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, string arguments, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {arguments} did not finish in 3 minutes:\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout + "\n" + await stderr);
    }
}
