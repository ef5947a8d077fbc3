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
