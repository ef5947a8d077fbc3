using Parley.Server.Cluster;
using Parley.Server.Streaming;

namespace Parley.Server.Generation;

// Wakes the worker when a send has committed new work, so replies start without waiting for a poll: the local
// worker at once, and on PostgreSQL the other nodes' workers through a notification.
internal sealed class ReplySignal(ClusterNotifier cluster)
{
    public WakeSignal Wake { get; } = new();

    public void NewWork()
    {
        Wake.Set();
        cluster.Post(ClusterNotifier.NewWork);
    }
}
