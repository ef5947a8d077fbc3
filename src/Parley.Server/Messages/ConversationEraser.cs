using Microsoft.EntityFrameworkCore;
using Parley.Server.Cluster;
using Parley.Server.Generation;
using Parley.Server.Storage;
using Parley.Server.Streaming;

namespace Parley.Server.Messages;

// Deletes a session, or only its messages, and stops its running replies. The replies to stop are read in
// the same transaction as the delete, so a send that commits just before is stopped too; its events and job
// go with it (ON DELETE CASCADE). Replies generated on other nodes are stopped there: a notification tells those
// nodes at once, and their heartbeat finds the job gone in any case.
internal sealed class ConversationEraser(
    ParleyDb db, DatabaseTarget target, WriteGate writes, ReplyCancellations cancellations, LiveStreams live, ClusterNotifier cluster)
{
    public Task<bool> DeleteSessionAsync(string userId, string sessionId, CancellationToken ct) =>
        EraseAsync(userId, sessionId, keepSession: false, ct);

    public Task<bool> ClearMessagesAsync(string userId, string sessionId, CancellationToken ct) =>
        EraseAsync(userId, sessionId, keepSession: true, ct);

    private async Task<bool> EraseAsync(string userId, string sessionId, bool keepSession, CancellationToken ct)
    {
        List<string> running;
        using (await writes.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (!await db.Sessions.AnyAsync(s => s.Id == sessionId && s.UserId == userId, ct)) return false;
            running = await db.Messages
                .Where(m => m.SessionId == sessionId && m.UserId == userId && (m.Status == ReplyStatus.Queued || m.Status == ReplyStatus.Generating))
                .Select(m => m.Id)
                .ToListAsync(ct);
            // Their jobs first, as every transaction that ends a reply does (JobFence.LockAsync).
            await JobFence.LockAsync(db, target, running, ct);
            if (keepSession)
            {
                await db.Messages.Where(m => m.SessionId == sessionId && m.UserId == userId).ExecuteDeleteAsync(ct);
                await db.Sessions.Where(s => s.Id == sessionId).ExecuteUpdateAsync(s => s
                    .SetProperty(x => x.ActiveReplyId, (string?)null)
                    .SetProperty(x => x.MessageCount, 0), ct);
            }
            else
            {
                await db.Sessions.Where(s => s.Id == sessionId && s.UserId == userId).ExecuteDeleteAsync(ct);
            }
            await tx.CommitAsync(ct);
        }
        foreach (var id in running)
        {
            cancellations.RequestCancel(id);
            live.Remove(id);
            cluster.Post(ClusterNotifier.Deleted(id));
        }
        return true;
    }
}
