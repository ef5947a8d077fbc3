using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Parley.Bench.Load;

namespace Parley.Bench.Scenarios;

// One streamed chat completion against any OpenAI-compatible endpoint: FakeLlm itself (direct), Parley's /v1
// (relay), or another gateway (target). Where a chunk carries FakeLlm's send stamp, the token's latency is
// its receive time minus that stamp, both on the machine's monotonic clock.
internal sealed class OpenAiStreamer
{
    private static ReadOnlySpan<byte> Data => "data: "u8;
    private static ReadOnlySpan<byte> Done => "[DONE]"u8;
    private static ReadOnlySpan<byte> Content => "\"content\":\""u8;
    private static ReadOnlySpan<byte> Stamp => "\"x_sent_ns\":"u8;
    private static ReadOnlySpan<byte> Error => "{\"error\""u8;

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly byte[] _body;
    private readonly IReadOnlyList<(string Name, string Value)> _headers;
    private readonly TimeSpan _stallGap;

    public OpenAiStreamer(HttpClient http, Uri endpoint, string model, IReadOnlyList<(string Name, string Value)> headers, TimeSpan stallGap)
    {
        _http = http;
        _endpoint = endpoint;
        _headers = headers;
        _stallGap = stallGap;
        _body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            model,
            messages = new[] { new { role = "user", content = "Tell me a long story about a lighthouse." } },
            stream = true,
        }));
    }

    public async Task RunAsync(StreamStats stats, CancellationToken ct)
    {
        var started = Monotonic.Now;
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(_body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in _headers) request.Headers.TryAddWithoutValidation(name, value);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"HTTP {(int)response.StatusCode} from {_endpoint}");

        var tokens = new TokenClock(stats, started, _stallGap);
        string? failure = null;
        var done = await SseReader.ReadLinesAsync(await response.Content.ReadAsStreamAsync(ct), (line, now) =>
        {
            if (!line.StartsWith(Data)) return true;
            var data = line[Data.Length..];
            if (data.SequenceEqual(Done)) return false;
            if (data.StartsWith(Error))
            {
                failure = "error event: " + Encoding.UTF8.GetString(data);
                return false;
            }
            var content = data.IndexOf(Content);
            if (content < 0 || data[content + Content.Length] == (byte)'"') return true; // role, finish or usage chunk
            tokens.Token(now);
            var stamp = data.IndexOf(Stamp);
            if (stamp >= 0 && Utf8Parser.TryParse(data[(stamp + Stamp.Length)..], out long sentAt, out _))
            {
                stats.TokenLatencyUs.Add((now - sentAt) / 1000.0);
            }
            return true;
        }, ct);
        if (failure is not null) throw new InvalidOperationException(failure);
        if (!done) throw new InvalidOperationException("The stream ended without [DONE].");
    }
}
