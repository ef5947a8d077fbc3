using System.Text.Json.Nodes;

namespace FakeLlm.Tests;

public sealed class ToolCallTests : FakeLlmTestBase
{
    private const string Arguments = """{"city":"Paris","days":3}""";
    private static readonly string Model = $"fake?tool=get_weather&args={Uri.EscapeDataString(Arguments)}";

    [Fact]
    public async Task Streamed_tool_call_names_the_function_only_in_the_first_fragment()
    {
        using var response = await PostChatAsync(Chat.Request(Model, "weather?", stream: true));

        var chunks = Sse.Chunks(await Sse.ReadEventsAsync(response));
        var calls = chunks
            .Select(c => c["choices"]![0]!["delta"]!["tool_calls"])
            .Where(t => t is not null)
            .Select(t => t!.AsArray().Single()!)
            .ToList();

        Assert.True(calls.Count >= 3, $"{calls.Count} fragments");
        Assert.Equal("call_1", (string?)calls[0]["id"]);
        Assert.Equal("function", (string?)calls[0]["type"]);
        Assert.Equal("get_weather", (string?)calls[0]["function"]!["name"]);
        Assert.All(calls, c => Assert.Equal(0, (int)c["index"]!));
        Assert.All(calls[1..], c =>
        {
            Assert.Null(c["id"]);
            Assert.Null(c["type"]);
            Assert.Null(c["function"]!["name"]);
        });
        Assert.Equal(Arguments, string.Concat(calls.Select(c => (string?)c["function"]!["arguments"])));
        Assert.All(calls, c => Assert.NotEqual(Arguments, (string?)c["function"]!["arguments"]));
        Assert.Equal("tool_calls", chunks.Select(Sse.FinishReason).Single(f => f is not null));
        Assert.Equal("", Sse.Text(chunks));
    }

    [Fact]
    public async Task Non_streamed_tool_call_is_a_message_tool_calls_array()
    {
        using var response = await PostChatAsync(Chat.Request(Model, "weather?"));

        var choice = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["choices"]![0]!;
        Assert.Equal("tool_calls", (string?)choice["finish_reason"]);
        Assert.Null(choice["message"]!["content"]);
        var call = choice["message"]!["tool_calls"]!.AsArray().Single()!;
        Assert.Equal("call_1", (string?)call["id"]);
        Assert.Equal("get_weather", (string?)call["function"]!["name"]);
        Assert.Equal(Arguments, (string?)call["function"]!["arguments"]);
    }

    [Fact]
    public async Task A_preface_is_streamed_before_the_call_and_is_the_message_s_content()
    {
        var model = Model + "&preface=" + Uri.EscapeDataString("Let me check that.");

        using (var response = await PostChatAsync(Chat.Request(model, "weather?", stream: true)))
        {
            var chunks = Sse.Chunks(await Sse.ReadEventsAsync(response));
            Assert.Equal("Let me check that.", Sse.Text(chunks));
            var lastText = chunks.FindLastIndex(c => Sse.Content(c) is { Length: > 0 });
            var firstCall = chunks.FindIndex(c => c["choices"]![0]!["delta"]!["tool_calls"] is not null);
            Assert.InRange(lastText, 0, firstCall - 1);
            Assert.Equal("tool_calls", chunks.Select(Sse.FinishReason).Single(f => f is not null));
        }

        using (var response = await PostChatAsync(Chat.Request(model, "weather?")))
        {
            var message = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["choices"]![0]!["message"]!;
            Assert.Equal("Let me check that.", (string?)message["content"]);
            Assert.Equal("get_weather", (string?)message["tool_calls"]![0]!["function"]!["name"]);
        }
    }

    [Fact]
    public async Task Tool_result_follow_up_echoes_the_tool_output()
    {
        var assistant = new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = null,
            ["tool_calls"] = new JsonArray(new JsonObject
            {
                ["id"] = "call_1",
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = "get_weather", ["arguments"] = Arguments },
            }),
        };
        var tool = new JsonObject { ["role"] = "tool", ["tool_call_id"] = "call_1", ["content"] = "sunny 21C" };
        using var response = await PostChatAsync(
            Chat.Request(Model + "&tokens=8", [Chat.User("weather?"), assistant, tool], stream: true));

        var chunks = Sse.Chunks(await Sse.ReadEventsAsync(response));
        Assert.Equal("[fake:3] tool said: sunny 21C w1 w2 w3", Sse.Text(chunks));
        Assert.Equal("stop", chunks.Select(Sse.FinishReason).Single(f => f is not null));
        Assert.DoesNotContain(chunks, c => c["choices"]![0]!["delta"]!["tool_calls"] is not null);
    }
}
