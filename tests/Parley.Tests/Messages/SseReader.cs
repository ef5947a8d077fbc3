using System.Net;
using System.Text;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Messages;

// Reads one SSE stream event by event, so a test can act (cancel, send) between events while staying connected.
public sealed class SseReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseReader(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _reader = new StreamReader(body, Encoding.UTF8);
    }

    public static async Task<SseReader> OpenAsync(ParleyClient client, string messageId, CancellationToken ct)
    {
        var response = await client.OpenStreamAsync(messageId, ct: ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new SseReader(response, await response.Content.ReadAsStreamAsync(ct));
    }

    // The next event, or null once the server has ended the response.
    public Task<SseEvent?> NextAsync(CancellationToken ct) => ParleyClient.NextEventAsync(_reader, null, ct);

    // Reads until an event named `name` arrives; every event read on the way is added to `seen`.
    public async Task<SseEvent> NextNamedAsync(string name, List<SseEvent> seen, CancellationToken ct)
    {
        while (await NextAsync(ct) is { } e)
        {
            seen.Add(e);
            if (e.Event == name) return e;
        }
        throw new InvalidOperationException($"The stream ended before a '{name}' event; it had {seen.Count} events.");
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
