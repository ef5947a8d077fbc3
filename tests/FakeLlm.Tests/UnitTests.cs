namespace FakeLlm.Tests;

public sealed class DirectiveParsingTests
{
    [Fact]
    public void Parses_base_name_values_and_defaults()
    {
        var directives = Directives.Parse("gpt-x?tokens=50&chunk=2&args=%7B%22a%22%3A1%7D&mystery=1&tool=f");

        Assert.Equal("gpt-x", directives.BaseModel);
        Assert.Equal(50, directives.Tokens);
        Assert.Equal(2, directives.Chunk);
        Assert.Equal("""{"a":1}""", directives.Args);
        Assert.Equal("f", directives.Tool);
        Assert.Equal(0, directives.TtftMs);
        Assert.Null(directives.Status);
        Assert.Equal((CutMode.None, 0), directives.Cut);
    }

    [Fact]
    public void Plain_model_name_has_defaults()
    {
        var directives = Directives.Parse("fake");

        Assert.Equal("fake", directives.BaseModel);
        Assert.Equal(20, directives.Tokens);
        Assert.Equal(1, directives.Chunk);
        Assert.Equal(600_000, directives.StallMs);
    }

    [Theory]
    [InlineData("""{"city":"Paris"}""")]
    [InlineData("ab")]
    [InlineData("😀😀😀😀")]
    public void Fragments_concatenate_back_and_never_split_surrogates(string text)
    {
        var fragments = ReplyBuilder.Fragment(text, 3);

        Assert.Equal(text, string.Concat(fragments));
        Assert.All(fragments, f => Assert.False(char.IsHighSurrogate(f[^1])));
        Assert.InRange(fragments.Count, Math.Min(3, text.Length / 2), 3);
    }

    [Fact]
    public void Split_points_land_on_continuation_bytes()
    {
        var bytes = "data: é 😀\n\n"u8.ToArray();

        var points = SseWriter.SplitPoints(bytes);

        Assert.Equal(2, points.Count);
        Assert.All(points, p => Assert.Equal(0x80, bytes[p] & 0xC0));
    }
}

public sealed class ChunkWriterTests
{
    [Theory]
    [InlineData("w1 ", null)]
    [InlineData("你好 \"quoted\" \\ 😀\n", "stop")]
    public void A_text_chunk_has_the_bytes_of_the_same_delta_written_as_a_tree(string text, string? finish)
    {
        var identity = new CompletionIdentity("chatcmpl-1", 1_700_000_000, "fake");

        var direct = Write(w => OpenAiJson.WriteTextChunk(w, identity, text, finish));
        var tree = Write(w => OpenAiJson.WriteChunk(w, identity, new System.Text.Json.Nodes.JsonObject { ["content"] = text }, finish));

        var choice = System.Text.Json.JsonDocument.Parse(direct).RootElement.GetProperty("choices")[0];
        Assert.Equal(text, choice.GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal(WithoutSendTime(tree), WithoutSendTime(direct));
    }

    private static string Write(Action<System.Text.Json.Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, OpenAiJson.WriterOptions)) write(writer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // The send time is the one field that differs between two writes.
    private static string WithoutSendTime(string json) =>
        System.Text.RegularExpressions.Regex.Replace(json, "\"x_sent_ns\":\\d+", "\"x_sent_ns\":0");
}

public sealed class RequestLogTests
{
    [Fact]
    public void The_log_keeps_only_the_most_recent_requests()
    {
        var state = new FakeLlmState(maxLoggedRequests: 3);
        var body = System.Text.Json.JsonDocument.Parse("{}").RootElement;
        for (var i = 0; i < 5; i++) state.Begin("fake", body, authorization: null);

        Assert.Equal([3, 4, 5], state.Snapshot().Select(r => r.Id));
    }
}
