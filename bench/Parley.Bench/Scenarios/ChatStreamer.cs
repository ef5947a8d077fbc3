using System.Net.Http.Json;
using System.Text.Json;
using Parley.Bench.Load;

namespace Parley.Bench.Scenarios;

// One chat turn the way the web UI does it, with everything persisted: create a session, send a message, and
// read the reply's SSE stream to its done event. Time to first token counts from the start of the send, and is
// also reported in its three parts: the send's response, the stream's response headers, and the first token.
// Turns take the accounts' API keys in turn: concurrent replies come from many users, as on a real server
// (one user's sends are taken one at a time, for that user's cap on concurrent replies).
internal sealed class ChatStreamer(HttpClient http, IReadOnlyList<string> apiKeys, string model, TimeSpan stallGap)
{
    private int _turns;

    private static ReadOnlySpan<byte> DeltaEvent => "event: delta"u8;
    private static ReadOnlySpan<byte> DoneEvent => "event: done"u8;
    private static ReadOnlySpan<byte> Complete => "\"status\":\"complete\""u8;

    public async Task RunAsync(StreamStats stats, CancellationToken ct)
    {
        var key = apiKeys[(int)((uint)Interlocked.Increment(ref _turns) % apiKeys.Count)];
        using var created = await http.SendAsync(Post("/api/sessions", new { model }, key), ct);
        var session = await ReadIdAsync(created, ct);

        var started = Monotonic.Now;
        using var sent = await http.SendAsync(Post($"/api/sessions/{session.GetProperty("id").GetString()}/messages",
            new { content = "Tell me a long story about a lighthouse." }, key), ct);
        var reply = (await ReadIdAsync(sent, ct)).GetProperty("assistantMessage").GetProperty("id").GetString();
        var answered = Monotonic.Now;

        using var streamRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/messages/{reply}/stream");
        streamRequest.Headers.Authorization = new("Bearer", key);
        using var stream = await http.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!stream.IsSuccessStatusCode) throw new HttpRequestException($"HTTP {(int)stream.StatusCode} on the stream");
        var opened = Monotonic.Now;
        var tokens = new TokenClock(stats, started, stallGap);
        var sawDone = false;
        var complete = false;
        await SseReader.ReadLinesAsync(await stream.Content.ReadAsStreamAsync(ct), (line, now) =>
        {
            if (sawDone)
            {
                if (line.Length == 0) return false;
                complete |= line.IndexOf(Complete) >= 0;
                return true;
            }
            if (line.SequenceEqual(DeltaEvent)) tokens.Token(now);
            else if (line.SequenceEqual(DoneEvent)) sawDone = true;
            return true;
        }, ct);
        if (!complete) throw new InvalidOperationException(sawDone ? "The reply did not complete." : "The stream ended before its done event.");
        if (!tokens.Started) return;
        stats.SendMs.Add(Monotonic.Milliseconds(answered - started));
        stats.StreamOpenMs.Add(Monotonic.Milliseconds(opened - answered));
        stats.FirstTokenWaitMs.Add(Monotonic.Milliseconds(tokens.FirstAt - opened));
    }

    private static async Task<JsonElement> ReadIdAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"HTTP {(int)response.StatusCode} on {response.RequestMessage?.RequestUri?.AbsolutePath}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(ct);
    }

    private static HttpRequestMessage Post(string url, object body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new("Bearer", key);
        return request;
    }
}
