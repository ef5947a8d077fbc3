using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Parley.Server.Cluster;
using Parley.Server.Storage;

namespace Parley.Server.Generation;

// Started: the claim's transaction also moved the reply from queued to generating (ReplyLifecycle.MarkGeneratingAsync);
// false when the reply was no longer running, or has used up its attempts.
// Loaded: what the generator would read first, when the claimant has it in hand (a send that claims its reply).
internal sealed record ClaimedJob(string MessageId, int Attempt, string Owner, bool Started = false, LoadedReply? Loaded = null)
{
    public JobLease Lease => new(MessageId, Owner, Attempt);
}

// What a heartbeat learned about the replies this node runs: the ones it no longer owns (taken over, or deleted
// with their session) and the ones a cancel on another node asked to stop.
internal sealed record HeartbeatResult(IReadOnlyList<string> Lost, IReadOnlyList<string> CancelRequested)
{
    public static readonly HeartbeatResult None = new([], []);
}

// Replies waiting for or under generation are rows in reply_jobs. A worker owns a row through a lease that its
// heartbeats extend; a lease that lapses (its process died) lets any worker claim the row again, counting one
// more attempt. Every claim is logged in reply_attempts with the node that made it.
//
// On PostgreSQL a claim is one statement: it picks the oldest free row with FOR UPDATE SKIP LOCKED, so nodes
// claiming at once never wait for each other or take the same row. SQLite has a single writer, and there the
// claim is an optimistic conditional update.
internal sealed class ReplyJobQueue(
    IDbContextFactory<ParleyDb> dbs, DatabaseTarget target, WriteGate writes, IOptions<GenerationOptions> options,
    TimeProvider clock)
{
    // Identifies this process's leases. A restarted process is a new owner.
    public string NodeId { get; } = Environment.MachineName + "/" + Environment.ProcessId + "/" + Guid.NewGuid().ToString("N")[..8];

    private TimeSpan Lease => TimeSpan.FromSeconds(options.Value.LeaseSeconds);

    // The first attempt of a reply that its send claims for this node (ReplyWorker.TryTakeSlot): the send's
    // transaction writes the job row with this lease and its attempt row, as a claim would.
    public ClaimedJob ClaimAtSend(string messageId) => new(messageId, 1, NodeId, Started: true);

    public DateTime LeaseExpiry(DateTime now) => now + Lease;

    // The attempt's row in reply_attempts, inside the claiming transaction.
    public static async Task LogAttemptAsync(ParleyDb db, ClaimedJob job, DateTime at, CancellationToken ct)
    {
        await using var log = RawSql.Command(db, "INSERT INTO reply_attempts (message_id, attempt, node_id, claimed_at) VALUES (@id, @attempt, @node, @at)",
            ("@id", job.MessageId), ("@attempt", job.Attempt), ("@node", job.Owner), ("@at", at));
        await log.ExecuteNonQueryAsync(ct);
    }

    public Task<ClaimedJob?> TryClaimAsync(CancellationToken ct) =>
        target.Kind == DatabaseKind.Postgres ? ClaimSkippingLockedAsync(ct) : ClaimOptimisticallyAsync(ct);

    // The claim, its attempt count, its log row, the reply's start and the start's notification to the other nodes
    // are one statement, so one round trip that commits on its own: the start saves the generator a transaction
    // before its first token, and the claim, the notification and a COMMIT as three round trips took 2 to 5 ms at
    // one reply on the bench's machine. Never this node's own rows: a reply it still runs may have missed a
    // heartbeat under load. The rows are locked job first, then message, the order of every transaction that
    // changes a reply. (The notification's CTE is materialized, so it runs although nothing but a count reads it.)
    private async Task<ClaimedJob?> ClaimSkippingLockedAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = new NpgsqlCommand($"""
                WITH candidate AS (
                    SELECT message_id FROM reply_jobs
                    WHERE lease_owner IS NULL OR (lease_expires_at < @now AND lease_owner <> @node)
                    ORDER BY created_at
                    LIMIT 1
                    FOR UPDATE SKIP LOCKED
                ), claimed AS (
                    UPDATE reply_jobs j
                    SET lease_owner = @node, lease_expires_at = @expires, attempts = j.attempts + 1
                    FROM candidate
                    WHERE j.message_id = candidate.message_id
                    RETURNING j.message_id, j.attempts
                ), started AS (
                    UPDATE messages m SET status = @generating
                    FROM claimed
                    WHERE m.id = claimed.message_id AND claimed.attempts <= @maxAttempts AND m.status IN (@queued, @generating)
                    RETURNING m.id
                ), notified AS MATERIALIZED (
                    SELECT {ClusterNotifier.StatusSql("started.id", ReplyStatus.Generating)} FROM started
                )
                INSERT INTO reply_attempts (message_id, attempt, node_id, claimed_at)
                SELECT message_id, attempts, @node, @now FROM claimed
                RETURNING message_id, attempt, (SELECT count(*) FROM notified) > 0
                """, connection);
            command.Parameters.AddWithValue("now", now);
            command.Parameters.AddWithValue("expires", now + Lease);
            command.Parameters.AddWithValue("node", NodeId);
            command.Parameters.AddWithValue("maxAttempts", options.Value.MaxAttempts);
            command.Parameters.AddWithValue("queued", ReplyStatus.Queued);
            command.Parameters.AddWithValue("generating", ReplyStatus.Generating);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? new ClaimedJob(reader.GetString(0), reader.GetInt32(1), NodeId, reader.GetBoolean(2)) : null;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    // SQLite has one writer: inside the write gate no other worker can take the row between the pick and the
    // claim, so they are one statement. The look before the gate only spares an idle poll the gate.
    private async Task<ClaimedJob?> ClaimOptimisticallyAsync(CancellationToken ct)
    {
        const string Claimable = "lease_owner IS NULL OR (lease_expires_at < @now AND lease_owner <> @node)";
        await using var db = await dbs.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var look = RawSql.Command(db, $"SELECT EXISTS (SELECT 1 FROM reply_jobs WHERE {Claimable})", ("@now", now), ("@node", NodeId));
            if (!Convert.ToBoolean(await look.ExecuteScalarAsync(ct))) return null;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        using var gate = await writes.EnterAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        string messageId;
        int attempt;
        await using (var claim = RawSql.Command(db, $"""
            UPDATE reply_jobs SET lease_owner = @node, lease_expires_at = @expires, attempts = attempts + 1
            WHERE message_id = (SELECT message_id FROM reply_jobs WHERE {Claimable} ORDER BY created_at LIMIT 1)
            RETURNING message_id, attempts
            """, ("@node", NodeId), ("@expires", now + Lease), ("@now", now)))
        await using (var reader = await claim.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return null;
            (messageId, attempt) = (reader.GetString(0), reader.GetInt32(1));
        }
        await LogAttemptAsync(db, new ClaimedJob(messageId, attempt, NodeId), now, ct);
        var started = attempt <= options.Value.MaxAttempts && await ReplyLifecycle.MarkGeneratingAsync(db, messageId, ct);
        await tx.CommitAsync(ct);
        return new ClaimedJob(messageId, attempt, NodeId, started);
    }

    // Extends the leases of the replies this node is generating, and reports the ones it lost (another worker
    // holds the job, or the reply was deleted) or that a cancel elsewhere asked to stop. A reply that has just
    // ended has no job row either, but its message is no longer running, so it is not reported.
    public async Task<HeartbeatResult> HeartbeatAsync(IReadOnlyCollection<ClaimedJob> running, CancellationToken ct)
    {
        if (running.Count == 0) return HeartbeatResult.None;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var expires = clock.GetUtcNow().UtcDateTime + Lease;
        var ids = running.Select(j => j.MessageId).ToList();
        if (target.Kind == DatabaseKind.Postgres)
        {
            // The rows are locked in id order, the order in which event flushes lock them (JobFence), so a
            // heartbeat and a flush never wait for each other in a cycle.
            await db.Database.ExecuteSqlAsync($"""
                UPDATE reply_jobs SET lease_expires_at = {expires}
                WHERE message_id IN (
                    SELECT message_id FROM reply_jobs WHERE message_id = ANY({ids.ToArray()}) AND lease_owner = {NodeId}
                    ORDER BY message_id FOR UPDATE)
                """, ct);
        }
        else
        {
            using (await writes.EnterAsync(ct))
            {
                await db.ReplyJobs.Where(j => ids.Contains(j.MessageId) && j.LeaseOwner == NodeId)
                    .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, expires), ct);
            }
        }
        var rows = await db.ReplyJobs.AsNoTracking()
            .Where(j => ids.Contains(j.MessageId))
            .Select(j => new { j.MessageId, j.LeaseOwner, j.Attempts, j.CancelRequested })
            .ToListAsync(ct);
        var notHeld = running
            .Where(job => !rows.Any(r => r.MessageId == job.MessageId && r.LeaseOwner == NodeId && r.Attempts == job.Attempt))
            .Select(job => job.MessageId)
            .ToList();
        var ended = notHeld.Count == 0 ? [] : await db.Messages.AsNoTracking()
            .Where(m => notHeld.Contains(m.Id) && m.Status != ReplyStatus.Queued && m.Status != ReplyStatus.Generating)
            .Select(m => m.Id)
            .ToListAsync(ct);
        var lost = notHeld.Except(ended).ToList();
        var cancel = rows.Where(r => r.CancelRequested && r.LeaseOwner == NodeId).Select(r => r.MessageId).ToList();
        return new HeartbeatResult(lost, cancel);
    }

    // Records a cancel for whichever node generates the reply, and tells that node in the same transaction.
    // False when the reply has no job any more.
    public async Task<bool> RequestCancelAsync(string messageId, ClusterNotifier cluster, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        using (await writes.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var found = await db.ReplyJobs.Where(j => j.MessageId == messageId)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.CancelRequested, true), ct) == 1;
            if (found) await cluster.NotifyAsync(db, [ClusterNotifier.Cancel(messageId)], ct);
            await tx.CommitAsync(ct);
            return found;
        }
    }

    // A single SQLite node is the only worker there is, so at its start every lease belongs to a dead process
    // and can be taken at once instead of after the lease runs out.
    public async Task ReleaseAllLeasesAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.ReplyJobs.Where(j => j.LeaseOwner != null)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseOwner, (string?)null).SetProperty(j => j.LeaseExpiresAt, (DateTime?)null), ct);
    }
}
