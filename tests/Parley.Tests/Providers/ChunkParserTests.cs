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
}
