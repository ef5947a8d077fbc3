using System.Text.Json;
using System.Text.Json.Serialization;
using Parley.Server.Messages;
using Parley.Server.Streaming;

namespace Parley.Server.Realtime;

internal static class RealtimeErrors
{
    public const string BadFrame = "bad_frame";
    public const string Validation = "validation_error";
    public const string NotFound = "not_found";
    public const string ReplyRunning = "reply_running";
    public const string Conflict = "conflict";
    public const string AlreadyFinished = "already_finished";
    public const string ShuttingDown = "shutting_down";
    public const string RateLimited = "rate_limited";
    public const string TooManySubscriptions = "too_many_subscriptions";
    public const string Internal = "internal_error";
}

internal sealed record AckFrame(string? ClientMessageId, MessageDto UserMessage, MessageDto AssistantMessage)
{
    [JsonPropertyOrder(-1)]
    public string Type => "ack";
}

internal sealed record ErrorFrame(string Code, string Message)
{
    [JsonPropertyOrder(-1)]
    public string Type => "error";

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? MessageId { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ClientMessageId { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RunningMessageId { get; init; }

    // On rate_limited: which limit, and the seconds to wait.
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Limit { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? RetryAfter { get; init; }

    // The finished message's status on already_finished ("status" would read as the frame's own state).
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? MessageStatus { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IDictionary<string, string[]>? Errors { get; init; }
}

// Server-to-client frames (SPEC §6). Reply events are built by splicing the frame type, the message id and
// the sequence number in front of the stored payload, as the SSE endpoint does, so a token is never parsed or
// serialised again on its way out.
internal static class ServerFrames
{
    public const string Pong = """{"type":"pong"}""";

    public static string Ack(AckFrame ack) => StreamPayloads.Serialize(ack);

    public static string Error(ErrorFrame error) => StreamPayloads.Serialize(error);

    public static string MessageIdJson(string messageId) => JsonSerializer.Serialize(messageId, StreamPayloadsJson.Options);

    // Null for items that are not sent: keep-alives, since protocol-level pings keep the socket alive.
    public static string? FromReader(ReaderItem item, string messageIdJson) => item switch
    {
        EventItem { Event: var e } => "{\"type\":\"" + TypeOf(e.Kind) + "\",\"messageId\":" + messageIdJson + "," + StreamPayloads.WithSeq(e)[1..],
        StatusItem status => "{\"type\":\"status\",\"messageId\":" + messageIdJson + ",\"status\":\"" + status.Status + "\"}",
        _ => null,
    };

    private static string TypeOf(string kind) => kind switch
    {
        StreamEventKinds.Delta => "ai_response_chunk",
        StreamEventKinds.Done => "ai_response_complete",
        // reset and tool keep their event names; a kind added later goes out under its own name.
        _ => kind,
    };
}
