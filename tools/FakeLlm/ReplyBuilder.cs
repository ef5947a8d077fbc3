namespace FakeLlm;

// The reply is a pure function of the request so tests can assert exactly what context arrived.
internal static class ReplyBuilder
{
    // Mixed 3- and 4-byte sequences so SSE decoders meet every multi-byte length that matters.
    private static readonly string[] MultiByteFiller = ["你好", "世界", "😀", "é"];

    public static Reply Build(ChatRequest request, Directives directives, int requestId)
    {
        var promptTokens = Math.Max(1, request.Messages.Sum(m => m.Text.Length) / 4);
        var last = request.Messages[^1];

        if (directives.Tool is { } toolName && (last.Role != "tool" || directives.ToolLoop))
        {
            var arguments = string.IsNullOrEmpty(directives.Args) ? "{}" : directives.Args;
            var call = new ToolCallReply($"call_{requestId}", toolName, arguments, Fragment(arguments, 3));
            return new Reply(Spaced(Words(directives.Preface ?? "")), call, "tool_calls", promptTokens);
        }

        var words = new List<string> { $"[fake:{request.Messages.Count}]" };
        if (last.Role == "tool")
        {
            words.Add("tool");
            words.Add("said:");
            words.AddRange(Words(last.Text));
        }
        else if (request.Messages.LastOrDefault(m => m.Role == "user") is { } user)
        {
            words.AddRange(Words(user.Text));
        }

        var target = directives.Tokens;
        if (words.Count > target)
        {
            words.RemoveRange(target, words.Count - target);
        }

        for (var i = 1; words.Count < target; i++)
        {
            words.Add(directives.SplitUtf8 ? MultiByteFiller[(i - 1) % MultiByteFiller.Length] : $"w{i}");
        }

        var finish = "stop";
        if (request.MaxTokens is int max && max >= 0 && max < words.Count)
        {
            words.RemoveRange(max, words.Count - max);
            finish = "length";
        }

        return new Reply(Spaced(words), null, finish, promptTokens);
    }

    // A space after every word but the last.
    private static List<string> Spaced(IReadOnlyList<string> words) =>
        words.Select((w, i) => i < words.Count - 1 ? w + " " : w).ToList();

    private static string[] Words(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    // Real servers hand out tool arguments in arbitrary slices; clients must concatenate them.
    internal static IReadOnlyList<string> Fragment(string text, int count)
    {
        var fragments = new List<string>();
        var start = 0;
        for (var i = 1; i <= count && start < text.Length; i++)
        {
            var end = i == count ? text.Length : Math.Max(start + 1, text.Length * i / count);
            if (end < text.Length && char.IsLowSurrogate(text[end]))
            {
                end++;
            }

            fragments.Add(text[start..end]);
            start = end;
        }

        return fragments;
    }
}
