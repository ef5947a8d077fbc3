using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FakeLlm.Tests;

public sealed class StreamFaultTests : FakeLlmTestBase
{
    [Fact]
    public async Task Reset_after_aborts_the_connection_after_exactly_n_tokens()
    {
        using var response = await PostChatAsync(Chat.Request("fake?reset_after=5&chunk=2", "x", stream: true));
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var tokens = 0;
        var failure = await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal) && JsonNode.Parse(line[6..]) is { } chunk
                    && Sse.Content(chunk.AsObject()) is { Length: > 0 } content)
                {
                    tokens += content.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
                }
            }
        });

        Assert.Equal(5, tokens);
        Assert.NotNull(failure);
        var record = await Inspector.WaitForCompletedAsync(1, TimeSpan.FromSeconds(5));
        Assert.Equal(5, record.TokensSent);
        Assert.False(record.ClientClosed);
    }

    [Fact]
    public async Task Stall_after_goes_quiet_and_inspector_sees_the_client_leave()
    {
        using var cancel = new CancellationTokenSource();
        using var response = await PostChatAsync(Chat.Request("fake?stall_after=2", "x", stream: true), cancel.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));

        var events = new List<string>();
        while (events.Count < 3 && await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line.Length > 0)
            {
                events.Add(line);
            }
        }

        // Role chunk plus two tokens, then silence: the next read only ends because we give up.
        cancel.CancelAfter(300);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            while (await reader.ReadLineAsync(cancel.Token) is { } line)
            {
                Assert.Equal("", line);
            }
        });

        var record = await Inspector.WaitForClientClosedAsync(1, TimeSpan.FromSeconds(5));
        Assert.Equal(2, record.TokensSent);
        Assert.NotNull(record.ClientClosedAt);
        Assert.Equal(200, record.StatusCode);
        await Inspector.WaitForCompletedAsync(1, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Stall_resumes_after_stall_ms()
    {
        var clock = Stopwatch.StartNew();
        using var response = await PostChatAsync(Chat.Request("fake?stall_after=1&stall_ms=250&tokens=3", "x", stream: true));

        var events = await Sse.ReadEventsAsync(response);

        Assert.True(clock.ElapsedMilliseconds >= 240, $"took {clock.ElapsedMilliseconds} ms");
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal("[fake:1] x w1", Sse.Text(Sse.Chunks(events)));
        Assert.False(Inspector.Requests.Single().ClientClosed);
    }

    [Fact]
    public async Task Malformed_after_sends_broken_json_and_no_done()
    {
        using var response = await PostChatAsync(Chat.Request("fake?malformed_after=3", "x", stream: true));

        var events = await Sse.ReadEventsAsync(response);

        Assert.Equal(5, events.Count);
        Assert.Equal("[fake:1] x w1 ", Sse.Text(Sse.Chunks(events[..4])));
        Assert.Equal("""{"choices":[{"delta":{"content":""", events[^1].TrimEnd('\n'));
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(events[^1]));
        Assert.DoesNotContain("[DONE]", events);
    }

    [Fact]
    public async Task Error_after_sends_error_event_and_no_done()
    {
        using var response = await PostChatAsync(Chat.Request("fake?error_after=2", "x", stream: true));

        var events = await Sse.ReadEventsAsync(response);

        Assert.Equal(4, events.Count);
        Assert.Equal("[fake:1] x ", Sse.Text(Sse.Chunks(events[..3])));
        Assert.All(Sse.Chunks(events[..3]), c => Assert.Null(Sse.FinishReason(c)));
        var error = JsonNode.Parse(events[^1])!["error"]!;
        Assert.Equal("upstream exploded", (string?)error["message"]);
        Assert.Equal("server_error", (string?)error["type"]);
        Assert.Equal("server_error", (string?)error["code"]);
        Assert.DoesNotContain("[DONE]", events);
    }

    [Fact]
    public async Task Reset_on_non_streaming_request_fails_the_request()
    {
        await Assert.ThrowsAsync<HttpRequestException>(() => PostChatAsync(Chat.Request("fake?reset_after=0", "x")));
    }
}
