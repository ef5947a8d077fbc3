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
    internal static async Task<bool> MarkGeneratingAsync(ParleyDb db, string messageId, CancellationToken ct)
    {
        await using var command = RawSql.Command(db, "UPDATE messages SET status = @generating WHERE id = @id AND status IN (@queued, @generating)",
            ("@generating", ReplyStatus.Generating), ("@id", messageId), ("@queued", ReplyStatus.Queued));
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<bool> FinishAsync(ReplyOutcome outcome, IReadOnlyList<StreamEvent> pending, CancellationToken ct, bool onlyIfQueued = false,
        JobLease? lease = null)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        using var gate = await writes.EnterAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (lease is not null && !(await JobFence.HeldAsync(db, target, [lease], ct)).Contains(outcome.MessageId)) return false;
        if (lease is null) await JobFence.LockAsync(db, target, [outcome.MessageId], ct);
        var now = clock.GetUtcNow().UtcDateTime;
        if (await EndRowAsync(db, outcome, now, onlyIfQueued, ct) is not var (userId, model)) return false;

        var lastSeq = pending.Count > 0 ? pending[^1].Seq : await LastSeqAsync(db, outcome.MessageId, ct);
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

        // The usage record (when the reply used tokens), the session's running-reply slot and the job, in one command.
        var usage = outcome.PromptTokens is not null || outcome.CompletionTokens is not null;
        await using (var rest = RawSql.Command(db,
            (usage ? """
                INSERT INTO usage_records (id, user_id, message_id, model, prompt_tokens, completion_tokens, created_at)
                VALUES (@use, @user, @id, @model, @prompt, @completion, @now);
                """ : "") + """
                UPDATE sessions SET active_reply_id = NULL, updated_at = @now WHERE id = @session AND active_reply_id = @id;
                DELETE FROM reply_jobs WHERE message_id = @id;
                """,
            ("@use", "use_" + outcome.MessageId), ("@user", userId), ("@id", outcome.MessageId), ("@model", model ?? "unknown"),
            ("@prompt", outcome.PromptTokens ?? 0), ("@completion", outcome.CompletionTokens ?? 0), ("@now", now),
            ("@session", outcome.SessionId)))
        {
            await rest.ExecuteNonQueryAsync(ct);
        }
        await cluster.NotifyAsync(db, [ClusterNotifier.Events(outcome.MessageId)], ct);
        await tx.CommitAsync(ct);

        live.Publish(outcome.MessageId, events);
        return true;
    }

    // Writes the reply's final row if it is still running (or, with onlyIfQueued, still queued), and returns
    // whose reply it is and which model answered; null when it had already ended.
    private static async Task<(string UserId, string? Model)?> EndRowAsync(ParleyDb db, ReplyOutcome outcome, DateTime now, bool onlyIfQueued,
        CancellationToken ct)
    {
        await using var command = RawSql.Command(db, """
            UPDATE messages SET status = @status, content = @content, finish_reason = @finish, prompt_tokens = @prompt,
                completion_tokens = @completion, error_code = @code, error_message = @error, model = COALESCE(@model, model),
                tool_calls = @tools, completed_at = @now
            WHERE id = @id AND (status = @queued OR (status = @generating AND @whileGenerating))
            RETURNING user_id, model
            """,
            ("@status", outcome.Status), ("@content", outcome.Content), ("@finish", outcome.FinishReason), ("@prompt", outcome.PromptTokens),
            ("@completion", outcome.CompletionTokens), ("@code", outcome.ErrorCode), ("@error", outcome.ErrorMessage), ("@model", outcome.Model),
            ("@tools", outcome.ToolCalls), ("@now", now), ("@id", outcome.MessageId), ("@queued", ReplyStatus.Queued),
            ("@generating", ReplyStatus.Generating), ("@whileGenerating", !onlyIfQueued));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    private static async Task<long> LastSeqAsync(ParleyDb db, string messageId, CancellationToken ct)
    {
        await using var command = RawSql.Command(db, "SELECT COALESCE(MAX(seq), 0) FROM stream_events WHERE message_id = @id", ("@id", messageId));
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
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
