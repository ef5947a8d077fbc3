using System.ComponentModel.DataAnnotations;

namespace Parley.Server.Infrastructure;

internal sealed class LimitsOptions
{
    public const string Section = "Parley:Limits";

    [Range(1, 1_000_000)]
    public int MaxMessageChars { get; set; } = 32_000;

    [Range(0, 1_000_000)]
    public int MaxSystemPromptChars { get; set; } = 16_000;

    // SPEC §10: sends (and regenerations) per user per minute, counted on each node.
    [Range(1, 1_000_000)]
    public int SendsPerMinute { get; set; } = 20;

    // SPEC §10: /v1 requests per API key per minute, counted on each node.
    [Range(1, 1_000_000)]
    public int KeyRequestsPerMinute { get; set; } = 60;

    // Replies a user may have queued or generating at once, across all sessions and nodes.
    [Range(1, 10_000)]
    public int MaxConcurrentReplies { get; set; } = 3;

    // Tokens (prompt + completion) a user may spend per UTC day; 0 means no quota.
    [Range(0, long.MaxValue)]
    public long DailyTokenQuota { get; set; }
}
