namespace Parley.Server.Providers;

// A tokenizer-free estimate, good enough to keep a prompt inside a context window: about four characters per
// token for Latin text, one token per CJK character, and a few tokens of framing per message.
internal static class TokenEstimator
{
    public const int PerMessageOverhead = 4;

    public static int Estimate(string text)
    {
        var counter = new TokenCounter();
        counter.Add(text);
        return counter.Tokens;
    }

    public static int EstimateMessage(string content) => Estimate(content) + PerMessageOverhead;

    public static bool IsCjk(char ch) =>
        ch is >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF' or >= '\u3000' and <= '\u303F' or >= '\uFF00' and <= '\uFFEF';

    public static bool IsMostlyChinese(string text)
    {
        var cjk = 0;
        var letters = 0;
        foreach (var ch in text)
        {
            if (ch is >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF') cjk++;
            else if (char.IsLetter(ch)) letters++;
        }
        return cjk > 0 && cjk * 3 >= letters;
    }
}

// TokenEstimator's count kept a piece at a time, for text that arrives in fragments and is not kept.
internal sealed class TokenCounter
{
    private int _cjk;
    private int _other;

    public int Tokens => _cjk + (_other + 3) / 4;

    public void Add(ReadOnlySpan<char> text)
    {
        foreach (var ch in text)
        {
            if (TokenEstimator.IsCjk(ch)) _cjk++;
            else _other++;
        }
    }
}
