using System.Text.Json;
using System.Text.Json.Serialization;
using Parley.Server.Storage;

namespace Parley.Server.Streaming;

internal static class StreamEventKinds
{
    public const string Delta = "delta";
    public const string Reset = "reset";
    public const string Tool = "tool";
    public const string Done = "done";
}

internal sealed record UsageDto(int PromptTokens, int CompletionTokens);

internal sealed record ErrorDto(string Code, string Message);

internal sealed record DonePayload(string Status, string? FinishReason, UsageDto? Usage, ErrorDto? Error);

// Relaxed escaping keeps Chinese text as UTF-8 instead of \uXXXX (half the bytes on the wire). It is safe
// because these payloads are only ever sent as JSON, never embedded in HTML.
internal static class StreamPayloadsJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}

// Stored event data is the JSON payload without "seq"; readers splice the sequence number (and, on the
// WebSocket, the frame type and message id) in front, so a payload is serialised once and never parsed again.
internal static class StreamPayloads
{
    private static readonly JsonSerializerOptions Json = StreamPayloadsJson.Options;

    public static string Delta(string content) => JsonSerializer.Serialize(new { content }, Json);

    public static string Reset(string reason) => JsonSerializer.Serialize(new { reason }, Json);

    public static string Done(DonePayload done) => JsonSerializer.Serialize(done, Json);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Json);

    public static string WithSeq(StreamEvent e) => AppendWithSeq(new System.Text.StringBuilder(e.Data.Length + 24), e).ToString();

    public static System.Text.StringBuilder AppendWithSeq(System.Text.StringBuilder into, StreamEvent e)
    {
        into.Append("{\"seq\":").Append(e.Seq);
        return e.Data.Length > 2 ? into.Append(',').Append(e.Data, 1, e.Data.Length - 1) : into.Append('}');
    }
}
