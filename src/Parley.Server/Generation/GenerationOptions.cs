using System.ComponentModel.DataAnnotations;

namespace Parley.Server.Generation;

internal sealed class GenerationOptions
{
    public const string Section = "Parley:Generation";

    // A reply whose process dies is tried again up to this many times in all, then ends as attempts_exhausted.
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    // How long a claimed reply stays owned by a worker without a heartbeat. Heartbeats run every third of it.
    // When a node dies, another takes its replies over within this plus PollIntervalMs (13 s by default).
    [Range(3, 3_600)]
    public int LeaseSeconds { get; set; } = 12;

    // Replies generated at once by one node.
    [Range(1, 10_000)]
    public int MaxConcurrentReplies { get; set; } = 32;

    // How often the worker looks for work when no send wakes it (work left by a restart or another node).
    [Range(10, 60_000)]
    public int PollIntervalMs { get; set; } = 1_000;

    // SPEC §10: on SIGTERM running replies get this long to finish before they are handed back.
    [Range(0, 3_600)]
    public int ShutdownGraceSeconds { get; set; } = 30;
}

internal sealed class ContextOptions
{
    public const string Section = "Parley:Context";

    [Range(0, 1_000)]
    public int MaxMessages { get; set; } = 20;

    // Tokens of the context window kept free for the reply.
    [Range(0, 1_000_000)]
    public int ReserveOutputTokens { get; set; } = 1_024;
}
