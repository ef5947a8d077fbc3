using System.Text.RegularExpressions;

namespace Parley.Server.Infrastructure.Logging;

// Finds secrets in text and masks them: Parley API keys, provider keys (by their usual shapes and by the exact
// configured values), bearer tokens, the session cookie, and password fields. Used on every log entry and on
// upstream error text before Parley stores or shows it.
internal sealed partial class Redactor
{
    public const string Mask = "***";

    private readonly string[] _knownSecrets;

    public Redactor(IEnumerable<string?> knownSecrets)
    {
        // Longest first, so a secret that contains another is masked whole.
        _knownSecrets = knownSecrets.Where(s => !string.IsNullOrWhiteSpace(s) && s.Length >= 6).Select(s => s!)
            .Distinct().OrderByDescending(s => s.Length).ToArray();
    }

    // The provider keys in configuration (Parley:Providers:*:ApiKey and OPENAI_API_KEY).
    public static Redactor FromConfiguration(IConfiguration configuration) => new(
        configuration.GetSection("Parley:Providers").GetChildren().Select(p => p["ApiKey"]).Append(configuration["OPENAI_API_KEY"]));

    public static readonly Redactor Patterns = new([]);

    public string Redact(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        foreach (var secret in _knownSecrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal)) text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }
        text = BearerToken().Replace(text, "${scheme}" + Mask);
        text = KeyShapes().Replace(text, "${prefix}" + Mask);
        text = SessionCookie().Replace(text, "${name}" + Mask);
        return PasswordField().Replace(text, "${name}" + Mask);
    }

    [GeneratedRegex(@"(?<scheme>\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=\-]{6,}", RegexOptions.IgnoreCase)]
    private static partial Regex BearerToken();

    // Parley keys (pk_…), OpenAI-style keys (sk-…, sk-proj-…) and other vendors' common prefixes.
    [GeneratedRegex(@"(?<prefix>\b(?:pk_|sk-|sk_|rk-|gsk_|xai-|AIza))[A-Za-z0-9_\-]{6,}")]
    private static partial Regex KeyShapes();

    [GeneratedRegex(@"(?<name>parley_session=)[^;\s""',]+", RegexOptions.IgnoreCase)]
    private static partial Regex SessionCookie();

    // Fields and query parameters named like credentials: password=…, "apiKey": "…", ?key=…, session=…
    [GeneratedRegex(@"(?<name>""?\b(?:password|passwd|api_?key|key|secret|token|session|auth|authorization)""?\s*[:=]\s*""?)[^""&,\s}]+", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordField();
}
