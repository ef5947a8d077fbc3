namespace Parley.Server.Storage;

// Entities mirror the tables in Storage/Migrations. They never go on the wire: each feature maps them with ToDto().

internal sealed class User
{
    public required string Id { get; init; }
    public required string Username { get; set; }
    public required string UsernameKey { get; set; }
    public required string PasswordHash { get; set; }
    public bool IsAdmin { get; set; }
    public DateTime CreatedAt { get; init; }
    // A disabled user's cookies and keys stop working; nothing of theirs is deleted.
    public bool Disabled { get; set; }
    // Per-user overrides of Parley:Limits; null means the configured default (a quota of 0 means none).
    public long? DailyTokenQuota { get; set; }
    public int? MaxConcurrentReplies { get; set; }
}

internal sealed class LoginSession
{
    public required string TokenHash { get; init; }
    public required string UserId { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; set; }
}

internal sealed class ApiKey
{
    public required string Id { get; init; }
    public required string UserId { get; init; }
    public required string Name { get; set; }
    public required string KeyHash { get; init; }
    public required string Prefix { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? LastUsedAt { get; set; }
}

internal sealed class ChatSession
{
    public required string Id { get; init; }
    public required string UserId { get; init; }
    public required string Title { get; set; }
    // True until the user names the session or the first reply gives it an automatic title.
    public bool AutoTitle { get; set; }
    public required string PersonaId { get; set; }
    public required string Model { get; set; }
    public string? SystemPrompt { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
    public int MessageCount { get; set; }
    public int NextOrdinal { get; set; }
    // The reply that is queued or generating, if any. A conditional update on this column is what makes
    // "one running reply per session" hold under concurrent sends on every database.
    public string? ActiveReplyId { get; set; }
}

internal sealed class Message
{
    public required string Id { get; init; }
    public required string SessionId { get; init; }
    public required string UserId { get; init; }
    public string? ParentId { get; init; }
    public required string Role { get; init; }
    public string Content { get; set; } = "";
    public required string Status { get; set; }
    public string? Model { get; set; }
    public string? PersonaId { get; set; }
    public string? FinishReason { get; set; }
    public int? PromptTokens { get; set; }
    public int? CompletionTokens { get; set; }
    public string? ErrorCode { get; set; }
    public string? ErrorMessage { get; set; }
    public string? ToolCalls { get; set; }
    public string? ClientMessageId { get; init; }
    // Position of the turn in its session. A user message and its replies share one ordinal.
    public int Ordinal { get; set; }
    // Set on an assistant reply once a regenerated reply replaces it on the current branch.
    public bool Superseded { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime? CompletedAt { get; set; }
}

internal sealed class StreamEvent
{
    public required string MessageId { get; init; }
    public long Seq { get; init; }
    public required string Kind { get; init; }
    public required string Data { get; init; }
}

internal sealed class ReplyJob
{
    public required string MessageId { get; init; }
    public required string UserId { get; init; }
    public int Attempts { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseExpiresAt { get; set; }
    // Set by a cancel on a node that is not generating the reply; the generating node's heartbeat acts on it.
    public bool CancelRequested { get; set; }
    public DateTime CreatedAt { get; init; }
}

internal sealed class ReplyAttempt
{
    public required string MessageId { get; init; }
    public int Attempt { get; init; }
    public required string NodeId { get; init; }
    public DateTime ClaimedAt { get; init; }
}

internal sealed class UsageRecord
{
    public required string Id { get; init; }
    public required string UserId { get; init; }
    public string? ApiKeyId { get; init; }
    public string? MessageId { get; init; }
    public required string Model { get; init; }
    public int PromptTokens { get; init; }
    public int CompletionTokens { get; init; }
    public DateTime CreatedAt { get; init; }
}
