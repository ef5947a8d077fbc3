using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Parley.Server.Auth;
using Parley.Server.Infrastructure;
using Parley.Server.Storage;

namespace Parley.Server.Usage;

internal sealed record ModelUsageDto(string Model, long PromptTokens, long CompletionTokens, int Requests);

internal sealed record UsageDto(DateTime From, DateTime To, long PromptTokens, long CompletionTokens, long TotalTokens, int Requests,
    IReadOnlyList<ModelUsageDto> ByModel);

internal static class UsageApi
{
    public static IEndpointRouteBuilder MapUsage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/me/usage", Get).RequireAuthorization();
        return app;
    }

    // Token usage of the signed-in user in [from, to), by default the last 30 days.
    internal static async Task<Results<Ok<UsageDto>, ValidationProblem>> Get(
        HttpContext http, ParleyDb db, TimeProvider clock, string? from, string? to, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var now = clock.GetUtcNow().UtcDateTime;
        var end = ParseTime(to, "to", errors) ?? now.AddSeconds(1);
        var start = ParseTime(from, "from", errors) ?? (end.Year > 1 ? end.AddDays(-30) : DateTime.MinValue);
        if (!errors.Any && start >= end) errors.Add("from", "Must be before 'to'.");
        if (errors.Any) return errors.ToProblem();

        var userId = http.User.UserId();
        var byModel = await db.UsageRecords.AsNoTracking()
            .Where(u => u.UserId == userId && u.CreatedAt >= start && u.CreatedAt < end)
            .GroupBy(u => u.Model)
            .Select(g => new ModelUsageDto(g.Key, g.Sum(u => (long)u.PromptTokens), g.Sum(u => (long)u.CompletionTokens), g.Count()))
            .ToListAsync(ct);
        var prompt = byModel.Sum(m => m.PromptTokens);
        var completion = byModel.Sum(m => m.CompletionTokens);
        return TypedResults.Ok(new UsageDto(start, end, prompt, completion, prompt + completion, byModel.Sum(m => m.Requests),
            byModel.OrderBy(m => m.Model, StringComparer.Ordinal).ToList()));
    }

    private static DateTime? ParseTime(string? value, string field, FieldErrors errors)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return parsed.UtcDateTime;
        }
        errors.Add(field, "Must be an ISO-8601 date or time, such as 2026-01-31 or 2026-01-31T12:00:00Z.");
        return null;
    }
}
