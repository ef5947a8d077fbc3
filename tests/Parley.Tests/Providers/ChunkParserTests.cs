using System.Text;
using Parley.Server.Providers;
using Parley.Server.Providers.OpenAi;

namespace Parley.Tests.Providers;

// Pure parsing logic, tested without a server.
public sealed class ChunkParserTests
{
    private static List<ModelUpdate> Parse(ChunkParser parser, string data)
    {
        var updates = new List<ModelUpdate>();
        parser.Parse(Encoding.UTF8.GetBytes(data), updates);
        return updates;
    }

    [Fact]
    public void Tool_call_fragments_join_by_index_with_the_name_only_in_the_first()
    {
        var parser = new ChunkParser();
        Parse(parser, """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"calculator","arguments":"{\"expr"}}]}}]}""");
        Parse(parser, """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ession\":\"1+1\"}"}}]},"finish_reason":"tool_calls"}]}""");
        Parse(parser, """{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}""");

        var end = parser.Complete().ToList();
        var calls = Assert.IsType<ToolCallsReport>(end[0]).Calls;
        Assert.Equal(new ToolCallRequest("call_1", "calculator", "{\"expression\":\"1+1\"}"), Assert.Single(calls));
        Assert.Equal("tool_calls", Assert.IsType<FinishReport>(end[1]).Reason);
    }

    [Fact]
    public void Odd_fields_are_tolerated_and_reasoning_is_not_part_of_the_reply()
    {
        var parser = new ChunkParser();
        var updates = Parse(parser, """{"choices":[{"index":1e30,"delta":{"content":"other choice"}},{"delta":{"reasoning_content":"thinking","content":"Hi"},"finish_reason":null}],"usage":null}""");
        Assert.Equal([new TextDelta("Hi")], updates);
        var tool = Parse(parser, """{"choices":[{"delta":{"tool_calls":[{"index":99999999999,"id":"c","function":{"name":"x","arguments":"{}"}}]}}]}""");
        Assert.Empty(tool);
        Assert.Throws<UpstreamFailure>(() => Parse(parser, """{"choices":[{"delta":{"content":"""));
    }

    [Fact]
    public void A_choice_index_after_its_delta_still_decides_and_usage_comes_after_the_text_wherever_it_is_written()
    {
        var parser = new ChunkParser();
        var updates = Parse(parser, """{"usage":{"completion_tokens":5,"prompt_tokens":7},"choices":[{"delta":{"content":"not the reply"},"index":1},{"finish_reason":"length","delta":{"content":"Hi"},"index":0}]}""");
        Assert.Equal([new TextDelta("Hi"), new UsageReport(7, 5)], updates);
        Assert.Equal("length", Assert.IsType<FinishReport>(parser.Complete().Single()).Reason);
    }

    [Fact]
    public void An_error_anywhere_in_a_payload_throws_with_its_message_and_keeps_nothing_of_that_payload()
    {
        var parser = new ChunkParser();
        var updates = new List<ModelUpdate>();
        var failure = Assert.Throws<UpstreamFailure>(() => parser.Parse(Encoding.UTF8.GetBytes(
            """{"choices":[{"delta":{"content":"Hi","tool_calls":[{"index":0,"id":"c","function":{"name":"x"}}]}}],"error":{"code":"overloaded","message":"Try later"}}"""), updates));
        Assert.Equal("The provider reported an error during the reply: Try later", failure.Message);
        Assert.Empty(updates);
        Assert.False(parser.HasToolCalls);

        Assert.Contains("{\"code\":42}", Assert.Throws<UpstreamFailure>(() => Parse(parser, """{"error":{"code":42}}""")).Message);
        Assert.EndsWith(": gone", Assert.Throws<UpstreamFailure>(() => Parse(parser, """{"error":"gone"}""")).Message);
        Assert.Equal([new TextDelta("ok")], Parse(parser, """{"error":null,"choices":[{"delta":{"content":"ok"}}]}"""));
    }

    [Theory]
    [InlineData("""[{"choices":[]}]""")]
    [InlineData("""{"choices":[]} {"choices":[]}""")]
    [InlineData("""{"choices":[{"delta":{"content":"a"}}],}""")]
    [InlineData("""{"choices":[{"delta":{"content":"a"}}]""")]
    public void A_payload_that_is_not_one_json_object_is_a_broken_stream_and_adds_nothing(string data)
    {
        var updates = new List<ModelUpdate>();
        var failure = Assert.Throws<UpstreamFailure>(() => new ChunkParser().Parse(Encoding.UTF8.GetBytes(data), updates));
        Assert.Equal(UpstreamFailureKind.Broken, failure.Kind);
        Assert.Empty(updates);
    }

    [Fact]
    public void Fragments_without_an_index_start_a_new_call_when_their_id_changes()
    {
        var parser = new ChunkParser();
        Parse(parser, """{"choices":[{"delta":{"tool_calls":[{"id":"a","function":{"name":"f","arguments":"{"}},{"function":{"arguments":"}"}},{"id":"b","function":{"name":"g","arguments":"[]"}}]}}]}""");
        var calls = Assert.IsType<ToolCallsReport>(parser.Complete().First()).Calls;
        Assert.Equal([new ToolCallRequest("a", "f", "{}"), new ToolCallRequest("b", "g", "[]")], calls);
    }
}
