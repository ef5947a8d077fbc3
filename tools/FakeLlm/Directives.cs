using System.Globalization;
using System.Net;

namespace FakeLlm;

internal enum CutMode { None, Reset, Stall, Malformed, Error }

// Per-request behaviour rides in the model name ("fake?tokens=5&tps=20") so any
// OpenAI client can drive the fake without custom headers or extra endpoints.
internal sealed class Directives
{
    private readonly Dictionary<string, string> _values;

    private Directives(string fullModel, string baseModel, Dictionary<string, string> values)
    {
        FullModel = fullModel;
        BaseModel = baseModel;
        _values = values;
    }

    public string FullModel { get; }
    public string BaseModel { get; }

    public int Tokens => Math.Max(0, Int("tokens") ?? 20);
    public int Chunk => Math.Max(1, Int("chunk") ?? 1);
    public int TtftMs => NonNegative("ttft_ms");
    public int Tps => NonNegative("tps");
    public int HeaderDelayMs => NonNegative("header_delay_ms");

    public int? Status => Int("status") is int s and >= 400 and <= 599 ? s : null;
    public int? Times => Int("times");
    public string? RetryAfter => Text("retry_after");
    public string? Code => Text("code");

    public int StallMs => Int("stall_ms") is int ms and >= 0 ? ms : 600_000;
    public bool SplitUtf8 => Flag("split_utf8");
    public int SplitDelayMs => Int("split_delay_ms") is int ms and >= 0 ? ms : 2;
    public bool Reasoning => Flag("reasoning");
    public bool NoUsage => Flag("no_usage");
    // Error answers quote the Authorization header they got, as some real upstreams quote the key.
    public bool EchoAuth => Flag("echo_auth");

    public string? Tool => Text("tool") is { Length: > 0 } name ? name : null;
    public string? Args => Text("args");
    // Text the model says before its tool call, in the same response, as real models often do.
    public string? Preface => Text("preface");
    // The model keeps calling the tool even after it got a result, to exercise a client's step limit.
    public bool ToolLoop => Flag("tool_loop");

    // Only one way of breaking a stream makes sense per request; the first listed wins.
    public (CutMode Mode, int After) Cut =>
        Int("reset_after") is int r ? (CutMode.Reset, Math.Max(0, r))
        : Int("stall_after") is int s ? (CutMode.Stall, Math.Max(0, s))
        : Int("malformed_after") is int m ? (CutMode.Malformed, Math.Max(0, m))
        : Int("error_after") is int e ? (CutMode.Error, Math.Max(0, e))
        : (CutMode.None, 0);

    public static Directives Parse(string model)
    {
        var question = model.IndexOf('?');
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (question < 0)
        {
            return new Directives(model, model, values);
        }

        foreach (var pair in model[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? "" : pair[(eq + 1)..];
            values[WebUtility.UrlDecode(key)] = WebUtility.UrlDecode(value);
        }

        return new Directives(model, model[..question], values);
    }

    public string? Text(string key) => _values.TryGetValue(key, out var value) ? value : null;

    public int? Int(string key) =>
        int.TryParse(Text(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private int NonNegative(string key) => Math.Max(0, Int(key) ?? 0);

    private bool Flag(string key) => Text(key) is "1" or "true";
}
