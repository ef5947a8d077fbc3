using Microsoft.EntityFrameworkCore;
using Parley.Server.Generation;
using Parley.Server.Storage;

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
internal sealed class ReplyCanceller(ParleyDb db, ReplyLifecycle lifecycle, ReplyCancellations cancellations)
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
        cancellations.RequestCancel(messageId);
        return (CancelResult.Cancelling, message);
    }
}
