using Microsoft.EntityFrameworkCore;
using Parley.Server.Cluster;
using Parley.Server.Storage;
using Parley.Server.Streaming;

namespace Parley.Server.Generation;

// The one place that moves a reply through its states: queued -> generating -> complete | cancelled | error.
// Every transition is a conditional update on the current status, so two actors (a cancel and the worker,
// or two workers) can race and exactly one wins. The end of a reply commits, in one transaction, its last
// events, its `done` event, its final row, the session's running-reply slot and the removal of its job.
//
// A worker passes its lease, and its writes happen only while the job still carries it (JobFence): a worker
// that was superseded changes nothing. Cancels and deletes pass none; they act on the status alone. Every
// change is announced to the other nodes in the same transaction (ClusterNotifier).
internal sealed class ReplyLifecycle(
    IDbContextFactory<ParleyDb> dbs, DatabaseTarget target, WriteGate writes, LiveStreams live, ClusterNotifier cluster, TimeProvider clock)
{
    // A job is usually started by its claim, in the claim's transaction (ReplyJobQueue); then only the readers
    // here are told. False when the reply is no longer running (cancelled while queued) or was taken over.
    public async Task<bool> StartAsync(ClaimedJob job, CancellationToken ct)
    {
        var started = job.Started;
        if (!started)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            using (await writes.EnterAsync(ct))
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                if (!(await JobFence.HeldAsync(db, target, [job.Lease], ct)).Contains(job.MessageId)) return false;
                started = await MarkGeneratingAsync(db, job.MessageId, ct);
                if (started) await cluster.NotifyAsync(db, [ClusterNotifier.Status(job.MessageId, ReplyStatus.Generating)], ct);
                await tx.CommitAsync(ct);
            }
        }
        if (started) live.PublishStatus(job.MessageId, ReplyStatus.Generating);
        return started;
    }

    // queued -> generating, inside the caller's transaction, which holds the reply's job.
    internal static async Task<bool> MarkGeneratingAsync(ParleyDb db, string messageId, CancellationToken ct) =>
        await db.Database.ExecuteSqlAsync(
            $"UPDATE messages SET status = {ReplyStatus.Generating} WHERE id = {messageId} AND status IN ({ReplyStatus.Queued}, {ReplyStatus.Generating})",
            ct) == 1;

    public async Task<bool> FinishAsync(ReplyOutcome outcome, IReadOnlyList<StreamEvent> pending, CancellationToken ct, bool onlyIfQueued = false,
        JobLease? lease = null)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        using var gate = await writes.EnterAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (lease is not null && !(await JobFence.HeldAsync(db, target, [lease], ct)).Contains(outcome.MessageId)) return false;
        if (lease is null) await JobFence.LockAsync(db, target, [outcome.MessageId], ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var rows = await db.Messages
            .Where(m => m.Id == outcome.MessageId && (m.Status == ReplyStatus.Queued || (!onlyIfQueued && m.Status == ReplyStatus.Generating)))
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Status, outcome.Status)
                .SetProperty(m => m.Content, outcome.Content)
                .SetProperty(m => m.FinishReason, outcome.FinishReason)
                .SetProperty(m => m.PromptTokens, outcome.PromptTokens)
                .SetProperty(m => m.CompletionTokens, outcome.CompletionTokens)
                .SetProperty(m => m.ErrorCode, outcome.ErrorCode)
                .SetProperty(m => m.ErrorMessage, outcome.ErrorMessage)
                .SetProperty(m => m.Model, m => outcome.Model ?? m.Model)
                .SetProperty(m => m.ToolCalls, outcome.ToolCalls)
                .SetProperty(m => m.CompletedAt, now), ct);
        if (rows == 0) return false;

        var lastSeq = pending.Count > 0
            ? pending[^1].Seq
            : await db.StreamEvents.Where(e => e.MessageId == outcome.MessageId).MaxAsync(e => (long?)e.Seq, ct) ?? 0;
        var done = new StreamEvent
        {
            MessageId = outcome.MessageId,
            Seq = lastSeq + 1,
            Kind = StreamEventKinds.Done,
            Data = StreamPayloads.Done(new DonePayload(outcome.Status, outcome.FinishReason,
                outcome.PromptTokens is null && outcome.CompletionTokens is null ? null : new UsageDto(outcome.PromptTokens ?? 0, outcome.CompletionTokens ?? 0),
                outcome.ErrorCode is null ? null : new ErrorDto(outcome.ErrorCode, outcome.ErrorMessage ?? outcome.ErrorCode))),
        };
        List<StreamEvent> events = [.. pending, done];
        await StreamEventStore.InsertAsync(db, events, ct);
        if (outcome.PromptTokens is not null || outcome.CompletionTokens is not null)
        {
            var owner = await db.Messages.Where(m => m.Id == outcome.MessageId).Select(m => new { m.UserId, m.Model }).FirstAsync(ct);
            db.UsageRecords.Add(new UsageRecord
            {
                Id = "use_" + outcome.MessageId,
                UserId = owner.UserId,
                MessageId = outcome.MessageId,
                Model = outcome.Model ?? owner.Model ?? "unknown",
                PromptTokens = outcome.PromptTokens ?? 0,
                CompletionTokens = outcome.CompletionTokens ?? 0,
                CreatedAt = now,
            });
        }
        await db.SaveChangesAsync(ct);

        await db.Sessions.Where(s => s.Id == outcome.SessionId && s.ActiveReplyId == outcome.MessageId)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ActiveReplyId, (string?)null).SetProperty(x => x.UpdatedAt, now), ct);
        await db.ReplyJobs.Where(j => j.MessageId == outcome.MessageId).ExecuteDeleteAsync(ct);
        await cluster.NotifyAsync(db, [ClusterNotifier.Events(outcome.MessageId)], ct);
        await tx.CommitAsync(ct);

        live.Publish(outcome.MessageId, events);
        return true;
    }

    // Ends a reply that no worker has started yet. False when a worker got there first.
    public Task<bool> CancelQueuedAsync(string messageId, string sessionId, CancellationToken ct) =>
        FinishAsync(new ReplyOutcome(messageId, sessionId, ReplyStatus.Cancelled, ""), [], ct, onlyIfQueued: true);

    // Gives a running reply back for a restart or another node to redo: its committed events stay, and the
    // next attempt opens with a `reset`. The attempt is not counted, since the reply did not fail.
    // When the attempt did fail (an unexpected error), returnAttempt is false: the attempt stays counted.
    public async Task HandBackAsync(JobLease lease, IReadOnlyList<StreamEvent> pending, CancellationToken ct, bool returnAttempt = true)
    {
        var messageId = lease.MessageId;
        await using var db = await dbs.CreateDbContextAsync(ct);
        using var gate = await writes.EnterAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!(await JobFence.HeldAsync(db, target, [lease], ct)).Contains(messageId)) return;
        await StreamEventStore.InsertAsync(db, pending, ct);
        await db.Messages.Where(m => m.Id == messageId && m.Status == ReplyStatus.Generating)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, ReplyStatus.Queued), ct);
        await db.ReplyJobs.Where(j => j.MessageId == messageId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null)
                .SetProperty(j => j.Attempts, j => returnAttempt && j.Attempts > 0 ? j.Attempts - 1 : j.Attempts), ct);
        await cluster.NotifyAsync(db, [ClusterNotifier.Events(messageId), ClusterNotifier.Status(messageId, ReplyStatus.Queued), ClusterNotifier.NewWork], ct);
        await tx.CommitAsync(ct);
        live.Publish(messageId, pending);
        live.PublishStatus(messageId, ReplyStatus.Queued);
    }
}
