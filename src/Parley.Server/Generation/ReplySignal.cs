using Parley.Server.Streaming;

namespace Parley.Server.Generation;

// Wakes the local worker when a send has committed new work, so replies start without waiting for a poll.
internal sealed class ReplySignal
{
    public WakeSignal Wake { get; } = new();

    public void NewWork() => Wake.Set();
}
