namespace Parley.Server.Generation;

internal static class ReplyStatus
{
    public const string Queued = "queued";
    public const string Generating = "generating";
    public const string Complete = "complete";
    public const string Cancelled = "cancelled";
    public const string Error = "error";

    public static bool IsRunning(string status) => status is Queued or Generating;
}

internal static class ErrorCodes
{
    public const string AttemptsExhausted = "attempts_exhausted";
    public const string Internal = "internal_error";
    public const string ModelUnavailable = "model_unavailable";
}

internal sealed record ReplyOutcome(
    string MessageId,
    string SessionId,
    string Status,
    string Content,
    string? FinishReason = null,
    int? PromptTokens = null,
    int? CompletionTokens = null,
    string? ErrorCode = null,
    string? ErrorMessage = null,
    string? Model = null,
    string? ToolCalls = null);
