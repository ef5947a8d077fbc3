using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Parley.Server.Storage;

namespace Parley.Server.Generation;

internal sealed record ClaimedJob(string MessageId, int Attempt);

// Replies waiting for or under generation are rows in reply_jobs. A worker owns a row through a lease that its
// heartbeats extend; a lease that lapses (its process died) lets any worker claim the row again, counting one
// more attempt. Claiming is an optimistic conditional update, correct on any database and any number of nodes.
internal sealed class ReplyJobQueue(IDbContextFactory<ParleyDb> dbs, WriteGate writes, IOptions<GenerationOptions> options, TimeProvider clock)
{
    // Identifies this process's leases. A restarted process is a new owner.
    public string NodeId { get; } = Environment.MachineName + "/" + Environment.ProcessId + "/" + Guid.NewGuid().ToString("N")[..8];

    private TimeSpan Lease => TimeSpan.FromSeconds(options.Value.LeaseSeconds);

    public async Task<ClaimedJob?> TryClaimAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        for (var tries = 0; tries < 5; tries++)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var candidate = await db.ReplyJobs.AsNoTracking()
                // Never this node's own rows: a reply it still runs may have missed a heartbeat under load.
                .Where(j => j.LeaseOwner == null || (j.LeaseExpiresAt < now && j.LeaseOwner != NodeId))
                .OrderBy(j => j.CreatedAt)
                .Select(j => new { j.MessageId, j.LeaseOwner, j.Attempts })
                .FirstOrDefaultAsync(ct);
            if (candidate is null) return null;

            var expires = now + Lease;
            using var gate = await writes.EnterAsync(ct);
            var claimed = await db.ReplyJobs
                .Where(j => j.MessageId == candidate.MessageId && j.Attempts == candidate.Attempts
                    && (j.LeaseOwner == null || (j.LeaseExpiresAt < now && j.LeaseOwner != NodeId)))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(j => j.LeaseOwner, NodeId)
                    .SetProperty(j => j.LeaseExpiresAt, expires)
                    .SetProperty(j => j.Attempts, j => j.Attempts + 1), ct);
            if (claimed == 1) return new ClaimedJob(candidate.MessageId, candidate.Attempts + 1);
            // Another worker won this row; look again.
        }
        return null;
    }

    // Extends the leases of the replies this node is generating. Returns the ones another worker now owns
    // (a finished reply has no job row any more and is not reported).
    public async Task<IReadOnlyList<string>> HeartbeatAsync(IReadOnlyCollection<string> messageIds, CancellationToken ct)
    {
        if (messageIds.Count == 0) return [];
        await using var db = await dbs.CreateDbContextAsync(ct);
        var expires = clock.GetUtcNow().UtcDateTime + Lease;
        var ids = messageIds.ToList();
        using (await writes.EnterAsync(ct))
        {
            await db.ReplyJobs.Where(j => ids.Contains(j.MessageId) && j.LeaseOwner == NodeId)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, expires), ct);
        }
        return await db.ReplyJobs.AsNoTracking()
            .Where(j => ids.Contains(j.MessageId) && j.LeaseOwner != null && j.LeaseOwner != NodeId)
            .Select(j => j.MessageId)
            .ToListAsync(ct);
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
