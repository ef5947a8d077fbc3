using System.Text;
using System.Text.Json.Nodes;

namespace FakeLlm.Tests;

// Every test gets its own host on a fresh port: counters, faults and logs never leak between tests.
public abstract class FakeLlmTestBase : IAsyncLifetime
{
    protected FakeLlmHost Host { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    protected FakeLlmInspector Inspector => Host.Inspector;

    protected virtual FakeLlmHostOptions CreateOptions() => new();

    public async Task InitializeAsync()
    {
        Host = await FakeLlmHost.StartAsync(CreateOptions());
        Client = new HttpClient { BaseAddress = Host.BaseUrl, Timeout = TimeSpan.FromSeconds(15) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }

    protected Task<HttpResponseMessage> PostChatAsync(JsonObject body, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        // Headers-read lets streaming tests observe the body as it arrives.
        return Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    protected Uri FakeUrl(string path) => new(Host.BaseUrl, path);
}
