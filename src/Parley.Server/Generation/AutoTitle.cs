using System.Text;
using Parley.Server.Providers;

namespace Parley.Server.Generation;

// A session's automatic title: the model's suggestion, or else the first words of the first message.
internal static class AutoTitle
{
    public const string Default = "New chat";
    public const int MaxLength = 200;

    public static string FromMessage(string message)
    {
        var line = message.Trim().Split('\n', 2)[0];
        var collapsed = new StringBuilder();
        foreach (var ch in line)
        {
            if (char.IsWhiteSpace(ch)) { if (collapsed.Length > 0 && collapsed[^1] != ' ') collapsed.Append(' '); }
            else collapsed.Append(ch);
        }
        var text = collapsed.ToString().Trim();
        if (text.Length == 0) return Default;

        if (TokenEstimator.IsMostlyChinese(text)) return text.Length <= 16 ? text : text[..16] + "…";

        var words = text.Split(' ');
        var title = string.Join(' ', words.Take(6));
        if (title.Length > 48) title = title[..48].TrimEnd();
        return title.Length < text.Length ? title + "…" : title;
    }

    public static string Clean(string? suggestion, string fallbackMessage)
    {
        var text = suggestion?.Trim().Trim('"', '“', '”', '\'').Trim();
        if (string.IsNullOrEmpty(text)) return FromMessage(fallbackMessage);
        text = text.Split('\n', 2)[0];
        return text.Length > 80 ? text[..80] + "…" : text;
    }
}
