using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace FakeLlm.Tests;

public sealed class CompletionTests : FakeLlmTestBase
{
    [Fact]
    public async Task Models_list_has_openai_shape()
    {
        var json = JsonNode.Parse(await Client.GetStringAsync("models"))!;

        Assert.Equal("list", (string?)json["object"]);
        var first = json["data"]!.AsArray()[0]!;
        Assert.Equal("fake", (string?)first["id"]);
        Assert.Equal("model", (string?)first["object"]);
        Assert.Equal("fakellm", (string?)first["owned_by"]);
        Assert.True((long)first["created"]! > 1_600_000_000);
    }

    [Fact]
    public async Task Non_streaming_reply_echoes_message_count_and_last_user_message()
    {
        JsonObject[] messages =
        [
            Chat.System("be brief"),
            Chat.User("first question"),
            Chat.Assistant("first answer"),
            Chat.User("what is  up"),
        ];
        using var response = await PostChatAsync(Chat.Request("fake?tokens=8", messages));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.StartsWith("chatcmpl-", (string?)json["id"]);
        Assert.Equal("chat.completion", (string?)json["object"]);
        Assert.Equal("fake", (string?)json["model"]);
        var choice = json["choices"]![0]!;
        Assert.Equal(0, (int)choice["index"]!);
        Assert.Equal("assistant", (string?)choice["message"]!["role"]);
        Assert.Equal("[fake:4] what is up w1 w2 w3 w4", (string?)choice["message"]!["content"]);
        Assert.Null(choice["message"]!.AsObject()["tool_calls"]);
        Assert.Equal("stop", (string?)choice["finish_reason"]);
        // 8 + 14 + 12 + 11 characters of content.
        Assert.Equal(45 / 4, (int)json["usage"]!["prompt_tokens"]!);
        Assert.Equal(8, (int)json["usage"]!["completion_tokens"]!);
        Assert.Equal(45 / 4 + 8, (int)json["usage"]!["total_tokens"]!);
    }

    [Fact]
    public async Task Every_chunk_carries_a_fingerprint_and_its_send_time_on_the_monotonic_clock()
    {
        var before = (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));
        using var response = await PostChatAsync(Chat.Request("fake?tokens=5&tps=100", "stamp", stream: true));
        var chunks = Sse.Chunks(await Sse.ReadEventsAsync(response));
        var after = (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));

        Assert.All(chunks, c => Assert.Equal("fp_fakellm", (string?)c["system_fingerprint"]));
        var stamps = chunks.Select(c => (long)c["x_sent_ns"]!).ToList();
        Assert.All(stamps, s => Assert.InRange(s, before, after));
        Assert.Equal(stamps.Order(), stamps);
        // Content chunks at 100 tokens/s are about 10 ms apart.
        Assert.True(stamps[^1] - stamps[1] >= 3 * 9_000_000, "the stamps should follow the pacing");
    }

    [Fact]
    public async Task Streaming_sends_role_chunk_content_usage_chunk_and_done()
    {
        using var response = await PostChatAsync(Chat.Request("fake?tokens=5", "hello", stream: true, includeUsage: true));

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = await Sse.ReadEventsAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = Sse.Chunks(events);
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string?)c["object"]));
        Assert.All(chunks, c => Assert.Equal("fake", (string?)c["model"]));
        Assert.Single(chunks.Select(c => (string?)c["id"]).Distinct());

        Assert.Equal("assistant", (string?)chunks[0]["choices"]![0]!["delta"]!["role"]);
        var usageChunk = chunks[^1];
        Assert.Empty(usageChunk["choices"]!.AsArray());
        Assert.Equal(5, (int)usageChunk["usage"]!["completion_tokens"]!);
        Assert.Equal(1, (int)usageChunk["usage"]!["prompt_tokens"]!);

        var content = chunks[1..^1];
        Assert.Equal(5, content.Count);
        Assert.Equal("[fake:1] hello w1 w2 w3", Sse.Text(content));
        Assert.All(content[..^1], c => Assert.Null(Sse.FinishReason(c)));
        Assert.Equal("stop", Sse.FinishReason(content[^1]));
    }

    [Theory]
    [InlineData("fake?tokens=3", false)]
    [InlineData("fake?tokens=3&no_usage=1", true)]
    public async Task Usage_chunk_only_when_requested_and_allowed(string model, bool includeUsage)
    {
        using var response = await PostChatAsync(Chat.Request(model, "hi", stream: true, includeUsage: includeUsage));

        var chunks = Sse.Chunks(await Sse.ReadEventsAsync(response));
        Assert.All(chunks, c => Assert.Null(c["usage"]));
        Assert.All(chunks, c => Assert.Single(c["choices"]!.AsArray()));
    }

    [Fact]
    public async Task Chunk_directive_groups_tokens()
    {
        using var response = await PostChatAsync(Chat.Request("fake?tokens=7&chunk=3", "a", stream: true));

        var content = Sse.Chunks(await Sse.ReadEventsAsync(response))[1..];
        Assert.Equal(["[fake:1] a w1 ", "w2 w3 w4 ", "w5"], content.Select(Sse.Content));
        Assert.Equal("stop", Sse.FinishReason(content[^1]));
    }

    [Fact]
    public async Task Long_echo_is_truncated_to_tokens()
    {
        using var response = await PostChatAsync(Chat.Request("fake?tokens=3", "a b c d e"));

        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("[fake:1] a b", (string?)json["choices"]![0]!["message"]!["content"]);
        Assert.Equal("stop", (string?)json["choices"]![0]!["finish_reason"]);
    }

    [Theory]
    [InlineData("max_tokens")]
    [InlineData("max_completion_tokens")]
    public async Task Max_tokens_below_reply_length_stops_with_length(string field)
    {
        var body = Chat.Request("fake?tokens=10", "x", stream: true, includeUsage: true);
        body[field] = 4;
        using var response = await PostChatAsync(body);

        var chunks = Sse.Chunks(await Sse.ReadEventsAsync(response));
        Assert.Equal("[fake:1] x w1 w2", Sse.Text(chunks));
        Assert.Equal("length", chunks.Select(Sse.FinishReason).Single(f => f is not null));
        Assert.Equal(4, (int)chunks[^1]["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task Content_parts_arrays_are_read_as_text()
    {
        var message = new JsonObject
        {
            ["role"] = "user",
            ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "from parts" }),
        };
        using var response = await PostChatAsync(Chat.Request("fake?tokens=3", [message]));

        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("[fake:1] from parts", (string?)json["choices"]![0]!["message"]!["content"]);
    }

    [Fact]
    public async Task Reasoning_chunks_precede_content()
    {
        using var response = await PostChatAsync(Chat.Request("fake?tokens=2&reasoning=1", "q", stream: true));

        var chunks = Sse.Chunks(await Sse.ReadEventsAsync(response));
        var reasoning = chunks.Select(c => (string?)c["choices"]![0]!["delta"]!["reasoning_content"]).ToList();
        Assert.Equal([null, "Thinking about ", "the request.", null, null], reasoning);
        Assert.Equal("[fake:1] q", Sse.Text(chunks));
    }

    [Fact]
    public async Task Ttft_and_tps_delay_the_stream()
    {
        var clock = Stopwatch.StartNew();
        using var response = await PostChatAsync(Chat.Request("fake?tokens=5&ttft_ms=250&tps=40", "x", stream: true));
        var headersAt = clock.ElapsedMilliseconds;
        var stream = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);
        await reader.ReadLineAsync();
        var firstEventAt = clock.ElapsedMilliseconds;
        await reader.ReadToEndAsync();

        // Headers are not held back by ttft_ms; only the first event is.
        Assert.True(firstEventAt - headersAt >= 100, $"headers at {headersAt} ms, first event at {firstEventAt} ms");
        Assert.True(firstEventAt >= 240, $"first event after {firstEventAt} ms");
        // Four more tokens at 40 tokens/s.
        Assert.True(clock.ElapsedMilliseconds >= 240 + 95, $"stream took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Invalid_request_gets_openai_error()
    {
        using var response = await PostChatAsync(new JsonObject { ["model"] = "fake" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("invalid_request_error", (string?)error["type"]);
        Assert.Equal("messages", (string?)error["param"]);
    }
}
