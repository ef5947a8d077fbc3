using Microsoft.EntityFrameworkCore;
using Parley.Server.Cluster;
using Parley.Server.Generation;
using Parley.Server.Storage;
using Parley.Server.Streaming;

namespace Parley.Server.Messages;

internal enum CancelResult
{
    NotFound,
    AlreadyFinished,
    Cancelled,
    Cancelling,
}

// Cancels a reply for its owner, whether no worker has started it yet (ended here at once) or it is being
// generated (the worker aborts the model call and keeps the partial text). Shared by HTTP and WebSocket.
// A reply generated on another node is cancelled there: the request is recorded on its job (the generating
// node's heartbeat sees it) and announced with a notification (the generating node acts on it at once).
internal sealed class ReplyCanceller(
    ParleyDb db, ReplyLifecycle lifecycle, ReplyCancellations cancellations, ReplyJobQueue jobs, ClusterNotifier cluster,
    StreamEventStore store, TimeProvider clock)
{
    public async Task<(CancelResult Result, Message? Message)> CancelAsync(string userId, string messageId, CancellationToken ct)
    {
        var message = await db.Messages.AsNoTracking().FirstOrDefaultAsync(m => m.Id == messageId && m.UserId == userId, ct);
        if (message is null) return (CancelResult.NotFound, null);
        if (!ReplyStatus.IsRunning(message.Status)) return (CancelResult.AlreadyFinished, message);

        if (message.Status == ReplyStatus.Queued && await lifecycle.CancelQueuedAsync(messageId, message.SessionId, ct))
        {
            message.Status = ReplyStatus.Cancelled;
            return (CancelResult.Cancelled, message);
        }
        if (cancellations.RequestCancel(messageId)) return (CancelResult.Cancelling, message);

        // No generator here holds it. If no live worker holds its lease either (its process died, or it waits to
        // be claimed again), end it now rather than when some worker next picks it up.
        var now = clock.GetUtcNow().UtcDateTime;
        var orphaned = await db.ReplyJobs.AnyAsync(j => j.MessageId == messageId && (j.LeaseOwner == null || j.LeaseExpiresAt < now), ct);
        if (orphaned)
        {
            var content = await store.ContentSoFarAsync(messageId, ct);
            if (await lifecycle.FinishAsync(new ReplyOutcome(messageId, message.SessionId, ReplyStatus.Cancelled, content), [], ct))
            {
                message.Status = ReplyStatus.Cancelled;
                return (CancelResult.Cancelled, message);
            }
        }
        if (cluster.Enabled) await jobs.RequestCancelAsync(messageId, cluster, ct);
        return (CancelResult.Cancelling, message);
    }
}
