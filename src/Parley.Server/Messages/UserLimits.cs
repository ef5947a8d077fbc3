using System.Threading.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Parley.Server.Generation;
using Parley.Server.Infrastructure;
using Parley.Server.Storage;

namespace Parley.Server.Messages;

// SPEC §10's per-user limits on starting replies: a send rate, a cap on concurrent replies and an optional
// daily token quota. Each refusal says how long to wait. The rate is counted in this process (a sliding
// window per user); the cap and the quota are read from the database, so they hold across nodes.
internal sealed class UserLimits(IOptions<LimitsOptions> options, TimeProvider clock) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _sends = PartitionedRateLimiter.Create<string, string>(userId =>
        RateLimitPartition.GetSlidingWindowLimiter(userId, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = options.Value.SendsPerMinute,
            Window = TimeSpan.FromMinutes(1),
            SegmentsPerWindow = 6,
            QueueLimit = 0,
        }));

    // Counts one send. Returns how long to wait when the user is over the rate.
    public TimeSpan? TakeSend(string userId)
    {
        using var lease = _sends.AttemptAcquire(userId);
        if (lease.IsAcquired) return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(10);
    }

    // Checked inside the send's transaction, so the count includes replies committed a moment ago.
    public async Task<ScheduleResult.Limited?> CheckRepliesAsync(ParleyDb db, string userId, CancellationToken ct)
    {
        var settings = options.Value;
        var running = await db.Messages.CountAsync(m => m.UserId == userId && (m.Status == ReplyStatus.Queued || m.Status == ReplyStatus.Generating), ct);
        if (running >= settings.MaxConcurrentReplies)
        {
            return new ScheduleResult.Limited("concurrent_replies",
                $"You already have {running} replies running; the limit is {settings.MaxConcurrentReplies}. Wait for one to finish or cancel it.",
                TimeSpan.FromSeconds(5));
        }

        if (settings.DailyTokenQuota > 0)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var today = now.Date;
            var spent = await db.UsageRecords.Where(u => u.UserId == userId && u.CreatedAt >= today)
                .SumAsync(u => (long)u.PromptTokens + u.CompletionTokens, ct);
            if (spent >= settings.DailyTokenQuota)
            {
                return new ScheduleResult.Limited("daily_quota",
                    $"You have used your {settings.DailyTokenQuota} tokens for today (UTC). The quota resets at midnight UTC.",
                    today.AddDays(1) - now);
            }
        }
        return null;
    }

    public void Dispose() => _sends.Dispose();
}
