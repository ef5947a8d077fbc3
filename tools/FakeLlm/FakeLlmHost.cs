using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace FakeLlm;

public sealed class FakeLlmHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeLlmHost(WebApplication app, Uri baseUrl, FakeLlmInspector inspector)
    {
        _app = app;
        BaseUrl = baseUrl;
        Inspector = inspector;
    }

    public Uri BaseUrl { get; }

    public FakeLlmInspector Inspector { get; }

    public static Task<FakeLlmHost> StartAsync(FakeLlmHostOptions? options = null) =>
        StartAsync(options ?? new FakeLlmHostOptions(), commandLine: false);

    internal static async Task<FakeLlmHost> StartAsync(FakeLlmHostOptions options, bool commandLine)
    {
        // The empty builder skips appsettings files and their file watchers: many test hosts share one process.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FakeLlmHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        // A tiny send buffer makes every FlushAsync wait until the bytes reached the socket. Without it a
        // flush only queues them, so reset_after could tear the connection down before earlier tokens left,
        // and split_utf8 pieces could be coalesced before they were sent.
        builder.WebHost.UseSockets(s =>
        {
            s.MaxWriteBufferSize = 2;
            // Under load each chunk's flush would otherwise hop to Kestrel's I/O queue for the send and back to
            // the thread pool when it completed: two thread-pool dispatches per chunk, often a thread woken each.
            // Inline, the send runs on the thread that wrote the chunk. Safe here because no handler blocks.
            s.UnsafePreferInlineScheduling = options.InlineScheduling;
        });
        builder.Services.AddRoutingCore();
        if (commandLine)
        {
            // In-process hosts stay silent and leave Ctrl+C alone; the standalone tool wants both.
            builder.Host.UseConsoleLifetime(l => l.SuppressStatusMessages = true);
            builder.Logging.AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        }

        var app = builder.Build();
        var state = new FakeLlmState(options.RequestLogSize);
        FakeEndpoints.Map(app, state, options);
        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>()
            .Addresses.Single();
        var port = new Uri(address).Port;
        return new FakeLlmHost(app, new Uri($"http://127.0.0.1:{port}/v1/"), new FakeLlmInspector(state));
    }

    internal Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        // Stalled streams would otherwise hold shutdown for the default grace period.
        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _app.StopAsync(quick.Token);
        await _app.DisposeAsync();
    }
}
