using System.ComponentModel.DataAnnotations;

namespace Parley.Server.Streaming;

internal sealed class StreamingOptions
{
    public const string Section = "Parley:Streaming";

    // Events are written to the database in batches: whichever comes first of this interval or the batch
    // size. This is also the longest a live reader waits for a token, since readers only see stored events.
    // 20 ms is below a token's gap at 50 tokens/s, so a reader sees tokens as they come; the bench measured
    // half the time to first token and no stalls at 10 replies, against 50 ms, for 7% more CPU per token.
    [Range(1, 5_000)]
    public int FlushIntervalMs { get; set; } = 20;

    [Range(1, 10_000)]
    public int FlushBatchSize { get; set; } = 64;

    // SPEC §6: a comment goes out at least this often while a stream is idle.
    [Range(1, 300)]
    public int KeepAliveSeconds { get; set; } = 15;

    // A reader whose socket accepts nothing for this long is disconnected; it can resume later.
    [Range(1, 3_600)]
    public int WriteTimeoutSeconds { get; set; } = 30;

    // At most this many recent events of each live reply are kept in memory, shared by all its readers; events
    // every reader has taken are dropped sooner. Older events come from the store. A reader that keeps up is a
    // batch or two behind, so a few dozen suffice; each event held is about 120 bytes of heap that every
    // collection during the reply must keep and move, so 1,024 made a long reply hold over 100 KiB
    // (docs/BENCHMARKS.md, 2026-12-03).
    [Range(16, 1_000_000)]
    public int LiveBufferEvents { get; set; } = 64;

    // How often a reader checks the store when no wake-up arrives (a safety net, not the normal path).
    [Range(10, 60_000)]
    public int PollIntervalMs { get; set; } = 2_000;

    // SPEC §6: the server pings every WebSocket at this interval (protocol-level ping frames) and drops a peer
    // that has not answered with a pong within the timeout, so a vanished client does not hold a socket open.
    [Range(1, 3_600)]
    public int WebSocketPingSeconds { get; set; } = 15;

    [Range(1, 3_600)]
    public int WebSocketPongTimeoutSeconds { get; set; } = 15;

    // Replies one WebSocket may follow at once; each costs a task and a reader, so the number is bounded.
    [Range(1, 10_000)]
    public int WebSocketMaxSubscriptions { get; set; } = 32;
}
