using System.Data.Common;
using System.Threading.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Parley.Server.Generation;
using Parley.Server.Infrastructure;
using Parley.Server.Storage;

namespace Parley.Server.Messages;

// SPEC §10's per-user limits: a send rate, a cap on concurrent replies, an optional daily token quota (an
// administrator may set the last two per user), and the request rate of each API key on /v1. Each refusal says
// how long to wait. On SQLite (one node) the rates are
// counted in this process (a sliding window per user or key); on PostgreSQL they are counted in the database
// (RateWindows), so they hold across nodes. The cap and the quota are read from the database.
internal sealed class UserLimits(IOptions<LimitsOptions> options, RateWindows shared, TimeProvider clock) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _sends = PerWindow(options.Value.SendsPerMinute, TimeSpan.FromMinutes(1));
    private readonly PartitionedRateLimiter<string> _keyRequests = PerWindow(options.Value.KeyRequestsPerMinute, TimeSpan.FromMinutes(1));

    // Counts one send on SQLite, in this process; returns how long to wait when the user is over the rate. On
    // PostgreSQL the send is counted in its own transaction instead (Columns).
    public TimeSpan? TakeLocalSend(string userId) => shared.Enabled ? null : Take(_sends, userId);

    // Counts one /v1 request of an API key. Returns how long to wait when the key is over its rate.
    public ValueTask<TimeSpan?> TakeKeyRequestAsync(string apiKeyId, CancellationToken ct) =>
        shared.Enabled ? shared.TakeAsync("key:" + apiKeyId, options.Value.KeyRequestsPerMinute, ct) : ValueTask.FromResult(Take(_keyRequests, apiKeyId));

    // Checked before a /v1 call: the same daily quota as chats, since a key's usage is its user's usage. The user's
    // own quota comes with the credential (CurrentUser.DailyTokenQuota); with no quota, nothing is read.
    public async Task<ScheduleResult.Limited?> CheckQuotaAsync(IDbContextFactory<ParleyDb> dbs, string userId, long? ownQuota, CancellationToken ct)
    {
        var quota = ownQuota ?? options.Value.DailyTokenQuota;
        if (quota <= 0) return null;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var today = clock.GetUtcNow().UtcDateTime.Date;
        var spent = await db.UsageRecords.Where(u => u.UserId == userId && u.CreatedAt >= today)
            .SumAsync(u => (long)u.PromptTokens + u.CompletionTokens, ct);
        return spent < quota ? null : QuotaSpent(quota);
    }

    private ScheduleResult.Limited QuotaSpent(long quota)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return new ScheduleResult.Limited("daily_quota",
            $"You have used your {quota} tokens for today (UTC). The quota resets at midnight UTC.",
            now.Date.AddDays(1) - now);
    }

    // A send's limits, read in one round trip, as columns of a statement (with @user and Parameters):
    // the user's own cap and quota (null unless an administrator set them), their running replies, and what they
    // spent today (0 unless a quota applies). On PostgreSQL two nodes may take sends of one user at the same
    // moment: the PostgresLock statement, run first in the same round trip and held to the end of the send's
    // transaction, makes them count one after the other, so the cap holds across nodes; and PostgresColumns
    // count the send in the user's shared rate window (`WITH {RateWindows.HitSql} … FROM hit`). A send refused
    // or rolled back is not counted, so a Retry-After errs long by one send. The send reads them in its turn's own
    // statement on PostgreSQL (ReplyScheduler), everything else through CheckTurnAsync.
    internal const string Columns = """
        (SELECT max_concurrent_replies FROM users WHERE id = @user),
        (SELECT daily_token_quota FROM users WHERE id = @user),
        (SELECT COUNT(*) FROM messages WHERE user_id = @user AND status IN (@queued, @generating)),
        (SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) FROM usage_records
         WHERE user_id = @user AND created_at >= @today AND COALESCE((SELECT daily_token_quota FROM users WHERE id = @user), @quota) > 0)
        """;

    internal const string PostgresLock = "SELECT pg_advisory_xact_lock(hashtextextended(@user, 0));";

    internal const string PostgresColumns = $"{Columns},\n{RateWindows.HitColumns}";

    internal const int ColumnCount = 6;

    // The send's hit on the user's shared rate window, on PostgreSQL; null on SQLite, which counts in memory.
    public RateHit? SendHit(string userId) => shared.Enabled ? shared.Hit("send:" + userId) : null;

    // The columns' parameters other than @user.
    public (string Name, object? Value)[] Parameters(RateHit? hit) =>
    [
        ("@queued", ReplyStatus.Queued), ("@generating", ReplyStatus.Generating),
        ("@today", clock.GetUtcNow().UtcDateTime.Date), ("@quota", options.Value.DailyTokenQuota), .. hit?.Parameters ?? [],
    ];

    // Checked inside the send's transaction, so the count includes replies committed a moment ago.
    public async Task<ScheduleResult.Limited?> CheckTurnAsync(ParleyDb db, string userId, CancellationToken ct)
    {
        var hit = SendHit(userId);
        var sql = hit is null ? $"SELECT {Columns}" : $"{PostgresLock}\nWITH {RateWindows.HitSql}\nSELECT {PostgresColumns} FROM hit";
        await using var command = RawSql.Command(db, sql, [("@user", userId), .. Parameters(hit)]);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (hit is not null) await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        return await JudgeAsync(reader, hit, ct);
    }

    // Reads the columns, the first of the reader's current row, and says which limit, if any, the send is over:
    // the rate first, then the cap, then the quota.
    public async Task<ScheduleResult.Limited?> JudgeAsync(DbDataReader reader, RateHit? hit, CancellationToken ct)
    {
        var settings = options.Value;
        var ownCap = reader.IsDBNull(0) ? (int?)null : Convert.ToInt32(reader.GetValue(0));
        var ownQuota = reader.IsDBNull(1) ? (long?)null : Convert.ToInt64(reader.GetValue(1));
        var running = Convert.ToInt64(reader.GetValue(2));
        var spent = Convert.ToInt64(reader.GetValue(3));
        if (hit is not null)
        {
            var wait = hit.Wait(Convert.ToInt64(reader.GetValue(4)), Convert.ToInt64(reader.GetValue(5)), settings.SendsPerMinute);
            if (wait is not null) return SendRateLimited(wait.Value);
            await shared.SweepAsync(hit, ct);
        }
        var cap = ownCap ?? settings.MaxConcurrentReplies;
        if (running >= cap)
        {
            return new ScheduleResult.Limited("concurrent_replies",
                $"You already have {running} replies running; the limit is {cap}. Wait for one to finish or cancel it.",
                TimeSpan.FromSeconds(5));
        }
        var quota = ownQuota ?? settings.DailyTokenQuota;
        return quota > 0 && spent >= quota ? QuotaSpent(quota) : null;
    }

    public static ScheduleResult.Limited SendRateLimited(TimeSpan wait) => new("rate",
        "Too many messages in a short time. Wait a moment before sending again.", wait);

    internal static TimeSpan? Take(PartitionedRateLimiter<string> limiter, string partition)
    {
        using var lease = limiter.AttemptAcquire(partition);
        if (lease.IsAcquired) return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(10);
    }

    // The partitioned limiter's own timer moves every user's window on (no timer per user). It is made detached
    // from the request that first needs this service, which its timer loop would otherwise keep alive.
    internal static PartitionedRateLimiter<string> PerWindow(int permits, TimeSpan window)
    {
        using var detached = Detached.Suppress();
        return PartitionedRateLimiter.Create<string, string>(partition =>
            RateLimitPartition.GetSlidingWindowLimiter(partition, _ => new SlidingWindowRateLimiterOptions
            {
                PermitLimit = permits,
                Window = window,
                SegmentsPerWindow = 6,
                QueueLimit = 0,
                AutoReplenishment = false,
            }));
    }

    public void Dispose()
    {
        _sends.Dispose();
        _keyRequests.Dispose();
    }
}
