using System.Globalization;

namespace FakeLlm;

// A named entry point (not top-level statements), so that its Program type cannot clash with the
// Program of a web app that a test project references alongside FakeLlm.
internal static class FakeLlmProgram
{
    public static async Task<int> Main(string[] args)
    {
        var options = new FakeLlmHostOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--port" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var port):
                    options.Port = port;
                    i++;
                    break;
                case "--api-key" when value is not null:
                    options.ApiKey = value;
                    i++;
                    break;
                case "--models" when value is not null:
                    options.Models = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    i++;
                    break;
                case "--bench":
                    options.InlineScheduling = true;
                    options.RequestLogSize = 100;
                    break;
                default:
                    Console.Error.WriteLine($"Unknown or incomplete argument '{args[i]}'.");
                    Console.Error.WriteLine("Usage: FakeLlm [--port N] [--api-key KEY] [--models a,b,c] [--bench]");
                    return 2;
            }
        }

        await using var host = await FakeLlmHost.StartAsync(options, commandLine: true);
        Console.WriteLine($"FakeLlm listening on {host.BaseUrl}");
        await host.WaitForShutdownAsync();
        return 0;
    }
}
