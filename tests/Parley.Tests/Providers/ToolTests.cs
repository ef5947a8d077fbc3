using System.Text.Json;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Providers;

public sealed class ToolTests(UpstreamFixture fixture) : IClassFixture<UpstreamFixture>
{
    [Fact]
    public async Task Calculator_call_streams_a_tool_event_then_the_final_answer_and_is_stored()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync(new { model = UpstreamFixture.Calculator });
        var (_, reply) = await client.SendAsync(session.Str("id"), "what is (2+3)*4?");
        var events = await client.ReadStreamAsync(reply.Str("id"));
        var stored = await client.WaitForReplyAsync(reply.Str("id"));

        var tool = Assert.Single(events, e => e.Event == "tool");
        Assert.Equal("calculator", tool.Json.GetProperty("call").Str("name"));
        Assert.Equal("{\"expression\":\"(2+3)*4\"}", tool.Json.GetProperty("call").Str("arguments"));
        Assert.Equal("20", tool.Json.Str("result"));
        var firstDelta = events.FindIndex(e => e.Event == "delta");
        Assert.True(events.IndexOf(tool) < firstDelta, "the tool event comes before the final answer");
        Assert.Equal("done", events[^1].Event);

        Assert.Equal("complete", stored.Str("status"));
        Assert.Contains("tool said: 20", stored.Str("content"));
        var calls = stored.GetProperty("toolCalls");
        Assert.Equal(JsonValueKind.Array, calls.ValueKind);
        Assert.Equal("calculator", calls[0].Str("name"));
        Assert.Equal("20", calls[0].Str("result"));

        // The second model call carried the assistant's tool call and the tool's result.
        var followUp = fixture.RequestsFor(UpstreamFixture.Calculator)
            .Last(r => r.Body.GetProperty("messages").EnumerateArray().Last().Str("role") == "tool");
        var messages = followUp.Body.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal("tool", messages[^1].Str("role"));
        Assert.Equal("20", messages[^1].Str("content"));
        Assert.Equal(calls[0].Str("id"), messages[^1].Str("tool_call_id"));
        Assert.Equal("calculator", messages[^2].GetProperty("tool_calls")[0].GetProperty("function").Str("name"));
        Assert.Contains(followUp.Body.GetProperty("tools").EnumerateArray(), t => t.GetProperty("function").Str("name") == "get_current_time");
    }

    [Fact]
    public async Task Text_before_each_tool_call_is_streamed_kept_and_sent_back_with_its_own_call()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync(new { model = UpstreamFixture.PrefacedLoop });
        var (_, reply) = await client.SendAsync(session.Str("id"), "work it out");
        var events = await client.ReadStreamAsync(reply.Str("id"));
        var stored = await client.WaitForReplyAsync(reply.Str("id"));

        // Five model calls (the step limit), each saying its preface before its call.
        const string preface = "Let me work that out.";
        var text = string.Concat(events.Where(e => e.Event == "delta").Select(e => e.Json.Str("content")));
        Assert.Equal(string.Concat(Enumerable.Repeat(preface, 5)), text);
        Assert.Equal(text, stored.Str("content"));
        var firstTool = events.FindIndex(e => e.Event == "tool");
        Assert.Equal(preface, string.Concat(events.Take(firstTool).Where(e => e.Event == "delta").Select(e => e.Json.Str("content"))));

        // The last call carried every earlier step's call with that step's own text, not the reply's so far.
        var last = fixture.RequestsFor(UpstreamFixture.PrefacedLoop).MaxBy(r => r.Body.GetProperty("messages").GetArrayLength())!;
        var assistants = last.Body.GetProperty("messages").EnumerateArray().Where(m => m.Str("role") == "assistant").ToList();
        Assert.Equal(4, assistants.Count);
        Assert.All(assistants, a =>
        {
            Assert.Equal(preface, a.Str("content"));
            Assert.Equal("calculator", a.GetProperty("tool_calls")[0].GetProperty("function").Str("name"));
        });
    }

    [Fact]
    public async Task A_tool_that_throws_becomes_an_error_result_and_the_reply_goes_on()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync(new { model = UpstreamFixture.BrokenTool });
        var (_, reply) = await client.SendAsync(session.Str("id"), "divide by zero");
        var events = await client.ReadStreamAsync(reply.Str("id"));
        var stored = await client.WaitForReplyAsync(reply.Str("id"));

        var tool = Assert.Single(events, e => e.Event == "tool");
        Assert.Equal(JsonValueKind.Null, tool.Json.GetProperty("result").ValueKind);
        Assert.Contains("zero", tool.Json.Str("error"));
        Assert.Equal("complete", stored.Str("status"));
        Assert.Contains("tool said: Error:", stored.Str("content"));
        Assert.Contains("zero", stored.GetProperty("toolCalls")[0].Str("error"));
    }

    [Fact]
    public async Task A_model_that_keeps_calling_tools_is_stopped_after_five_steps()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync(new { model = UpstreamFixture.LoopingTool });
        var (_, reply) = await client.SendAsync(session.Str("id"), "loop forever");
        var events = await client.ReadStreamAsync(reply.Str("id"));
        var stored = await client.WaitForReplyAsync(reply.Str("id"));

        // Five model calls in all; the tools asked for by the first four ran, the fifth call ended the reply.
        var calls = fixture.RequestsFor(UpstreamFixture.LoopingTool)
            .Where(r => r.Body.GetProperty("stream").GetBoolean() && r.Body.GetProperty("messages").EnumerateArray()
                .Any(m => m.Str("role") == "user" && m.Str("content") == "loop forever"))
            .ToList();
        Assert.Equal(5, calls.Count);
        Assert.Equal(4, events.Count(e => e.Event == "tool"));
        Assert.Equal("complete", stored.Str("status"));
        Assert.Equal("tool_calls", stored.Str("finishReason"));
        Assert.Equal(4, stored.GetProperty("toolCalls").GetArrayLength());
    }
}
