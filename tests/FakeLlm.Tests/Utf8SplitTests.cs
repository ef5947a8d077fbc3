using System.Net.Sockets;
using System.Text;

namespace FakeLlm.Tests;

public sealed class Utf8SplitTests : FakeLlmTestBase
{
    private const string Model = "fake?split_utf8=1&tokens=10";
    private const string ExpectedText = "[fake:1] hi 你好 世界 😀 é 你好 世界 😀 é";

    [Fact]
    public async Task Split_events_reassemble_to_the_expected_multibyte_text()
    {
        using var response = await PostChatAsync(Chat.Request(Model, "hi", stream: true));
        var bytes = await response.Content.ReadAsByteArrayAsync();

        var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        var events = Sse.Parse(text);
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal(ExpectedText, Sse.Text(Sse.Chunks(events)));
        Assert.Contains(text, c => c > 0x7F);
    }

    // HTTP/1.1 chunked framing shows every server write; reading it raw proves the cuts fall inside characters.
    [Fact]
    public async Task Server_writes_are_cut_inside_multibyte_characters()
    {
        var body = Encoding.UTF8.GetBytes(Chat.Request(Model, "hi", stream: true).ToJsonString());
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(Host.BaseUrl.Host, Host.BaseUrl.Port);
        var stream = tcp.GetStream();
        var head = $"POST /v1/chat/completions HTTP/1.1\r\nHost: {Host.BaseUrl.Authority}\r\n"
            + $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(body);
        using var raw = new MemoryStream();
        await stream.CopyToAsync(raw);

        var writes = ParseChunkedBody(raw.ToArray());

        var whole = writes.SelectMany(w => w).ToArray();
        var events = Sse.Parse(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(whole));
        Assert.Equal(ExpectedText, Sse.Text(Sse.Chunks(events)));
        Assert.True(writes.Count >= 2 * events.Count, $"{writes.Count} writes for {events.Count} events");
        var cutsInsideCharacters = writes.Skip(1).Count(w => (w[0] & 0xC0) == 0x80);
        // Every event carrying a filler word is cut inside a character at least once.
        Assert.True(cutsInsideCharacters >= 8, $"only {cutsInsideCharacters} writes start mid-character");
    }

    private static List<byte[]> ParseChunkedBody(byte[] response)
    {
        var headerEnd = IndexOf(response, "\r\n\r\n"u8, 0);
        var headers = Encoding.ASCII.GetString(response, 0, headerEnd);
        Assert.StartsWith("HTTP/1.1 200", headers);
        Assert.Contains("Transfer-Encoding: chunked", headers);

        var writes = new List<byte[]>();
        var position = headerEnd + 4;
        while (true)
        {
            var lineEnd = IndexOf(response, "\r\n"u8, position);
            var size = Convert.ToInt32(Encoding.ASCII.GetString(response, position, lineEnd - position), 16);
            if (size == 0)
            {
                return writes;
            }

            writes.Add(response[(lineEnd + 2)..(lineEnd + 2 + size)]);
            position = lineEnd + 2 + size + 2;
        }
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle, int start)
    {
        var index = haystack.AsSpan(start).IndexOf(needle);
        Assert.True(index >= 0);
        return start + index;
    }
}
