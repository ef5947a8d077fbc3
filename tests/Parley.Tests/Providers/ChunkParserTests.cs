using Parley.Server.Providers;
using Parley.Server.Providers.OpenAi;

namespace Parley.Tests.Providers;

// Pure parsing logic, tested without a server.
public sealed class ChunkParserTests
{
    [Fact]
    public void Tool_call_fragments_join_by_index_with_the_name_only_in_the_first()
    {
        var parser = new ChunkParser();
        parser.Parse("""{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"calculator","arguments":"{\"expr"}}]}}]}""").ToList();
        parser.Parse("""{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ession\":\"1+1\"}"}}]},"finish_reason":"tool_calls"}]}""").ToList();
        parser.Parse("""{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}""").ToList();

        var end = parser.Complete().ToList();
        var calls = Assert.IsType<ToolCallsReport>(end[0]).Calls;
        Assert.Equal(new ToolCallRequest("call_1", "calculator", "{\"expression\":\"1+1\"}"), Assert.Single(calls));
        Assert.Equal("tool_calls", Assert.IsType<FinishReport>(end[1]).Reason);
    }

    [Fact]
    public void Odd_fields_are_tolerated_and_reasoning_is_not_part_of_the_reply()
    {
        var parser = new ChunkParser();
        var updates = parser.Parse("""{"choices":[{"index":1e30,"delta":{"content":"other choice"}},{"delta":{"reasoning_content":"thinking","content":"Hi"},"finish_reason":null}],"usage":null}""").ToList();
        Assert.Equal([new TextDelta("Hi")], updates);
        var tool = parser.Parse("""{"choices":[{"delta":{"tool_calls":[{"index":99999999999,"id":"c","function":{"name":"x","arguments":"{}"}}]}}]}""").ToList();
        Assert.Empty(tool);
        Assert.Throws<UpstreamFailure>(() => parser.Parse("""{"choices":[{"delta":{"content":""").ToList());
    }
}
