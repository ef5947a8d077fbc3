using System.Buffers;
using System.Text;
using System.Text.Json;
using Parley.Server.OpenAiApi;

namespace Parley.Tests.OpenAiApi;

// Pure logic: the byte-level rewrite that relays upstream chunks.
public sealed class ChunkRewriterTests
{
    private static (string Json, ChunkFacts Facts) Rewrite(string input, string id = "chatcmpl_parley", string model = "asked-model")
    {
        var rewriter = new ChunkRewriter(id, model);
        var bytes = Encoding.UTF8.GetBytes(input);
        var facts = rewriter.Inspect(bytes);
        var output = new ArrayBufferWriter<byte>();
        rewriter.Write(bytes, facts, output);
        return (Encoding.UTF8.GetString(output.WrittenSpan), facts);
    }

    [Fact]
    public void Only_the_top_level_id_and_model_change_and_every_other_byte_stays()
    {
        const string input = """{"id":"up-1","object":"chat.completion.chunk","created":1,"model":"qwen2.5:7b","system_fingerprint":"fp_x","choices":[{"index":0,"delta":{"content":"hé 😀","id":"inner"},"logprobs":{"content":[]},"finish_reason":null}],"x_extra":[1,{"model":"keep"}]}""";
        var (json, facts) = Rewrite(input);

        Assert.Equal(input.Replace("\"up-1\"", "\"chatcmpl_parley\"").Replace("\"qwen2.5:7b\"", "\"asked-model\""), json);
        Assert.Equal(ChunkKind.Chunk, facts.Kind);
        Assert.False(facts.Finished);
    }

    [Fact]
    public void Model_before_id_and_a_missing_id_are_handled()
    {
        Assert.Equal("""{"model":"asked-model","id":"chatcmpl_parley","choices":[]}""", Rewrite("""{"model":"m","id":"i","choices":[]}""").Json);
        Assert.Equal("""{"model":"asked-model","choices":[{"delta":{}}]}""", Rewrite("""{"model":"m","choices":[{"delta":{}}]}""").Json);
    }

    [Fact]
    public void A_model_name_that_needs_escaping_is_written_as_valid_json()
    {
        var (json, _) = Rewrite("""{"id":"x","model":"m","choices":[]}""", model: "we\"ird\\model");
        Assert.Equal("we\"ird\\model", JsonDocument.Parse(json).RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public void Usage_finish_and_errors_are_recognised()
    {
        var usage = Rewrite("""{"id":"x","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46}}""").Facts;
        Assert.Equal(ChunkKind.UsageOnly, usage.Kind);
        Assert.Equal((12, 34), (usage.PromptTokens!.Value, usage.CompletionTokens!.Value));

        var finish = Rewrite("""{"id":"x","choices":[{"delta":{},"finish_reason":"stop"}],"usage":null}""").Facts;
        Assert.True(finish.Finished);
        Assert.Equal(ChunkKind.Chunk, finish.Kind);
        Assert.Null(finish.PromptTokens);

        Assert.Equal(ChunkKind.Error, Rewrite("""{"error":{"message":"boom","type":"server_error"}}""").Facts.Kind);
    }

    [Fact]
    public void Text_is_counted_for_estimates_across_chunks()
    {
        var rewriter = new ChunkRewriter("i", "m");
        rewriter.Inspect("""{"choices":[{"delta":{"content":"abcdefgh"}}]}"""u8);
        rewriter.Inspect("""{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":1}"}}]}}]}"""u8);
        rewriter.Inspect("""{"choices":[{"message":{"content":"你好"}}]}"""u8);
        Assert.Equal(2 + (8 + 7 + 3) / 4, rewriter.Text.Tokens);
    }

    [Theory]
    [InlineData("""{"choices":[{"delta":{"content":""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"a":1}{"b":2}""")]
    [InlineData("")]
    public void Anything_but_one_json_object_is_refused(string input)
    {
        Assert.ThrowsAny<JsonException>(() => new ChunkRewriter("i", "m").Inspect(Encoding.UTF8.GetBytes(input)));
    }
}
