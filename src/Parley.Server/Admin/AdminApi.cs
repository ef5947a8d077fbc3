using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Parley.Server.Auth;
using Parley.Server.Infrastructure;
using Parley.Server.Storage;

namespace Parley.Server.Admin;

internal sealed record AdminUserDto(string Id, string Username, bool IsAdmin, bool Disabled, DateTime CreatedAt,
    long? DailyTokenQuota, int? MaxConcurrentReplies, long TokensToday);

// Users' administration (SPEC §10): list users, disable or enable one, and set per-user quotas. Only admins;
// anyone else gets 403.
internal static class AdminApi
{
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").RequireAuthorization(CurrentUser.AdminPolicy);
        admin.MapGet("/users", List);
        admin.MapPatch("/users/{id}", Patch);
        return app;
    }

    internal static async Task<Ok<List<AdminUserDto>>> List(ParleyDb db, TimeProvider clock, CancellationToken ct)
    {
        var today = clock.GetUtcNow().UtcDateTime.Date;
        var users = await db.Users.AsNoTracking().OrderBy(u => u.CreatedAt).ToListAsync(ct);
        var spent = await db.UsageRecords.AsNoTracking().Where(u => u.CreatedAt >= today)
            .GroupBy(u => u.UserId)
            .Select(g => new { UserId = g.Key, Tokens = g.Sum(u => (long)u.PromptTokens + u.CompletionTokens) })
            .ToDictionaryAsync(u => u.UserId, u => u.Tokens, ct);
        return TypedResults.Ok(users.Select(u => ToDto(u, spent.GetValueOrDefault(u.Id))).ToList());
    }

    // {disabled?, dailyTokenQuota?, maxConcurrentReplies?}: a field left out stays as it is; a quota set to null
    // goes back to the configured default.
    internal static async Task<Results<Ok<AdminUserDto>, ValidationProblem, ProblemHttpResult>> Patch(
        string id, JsonElement body, HttpContext http, ParleyDb db, CredentialCache credentials, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (body.ValueKind != JsonValueKind.Object) return errors.Add("body", "Must be a JSON object.").ToProblem();
        bool? disabled = null;
        (bool Set, long? Value) quota = default, cap = default;
        foreach (var field in body.EnumerateObject())
        {
            switch (field.Name)
            {
                case "disabled" when field.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    disabled = field.Value.GetBoolean();
                    if (disabled == true && id == http.User.UserId()) errors.Add("disabled", "You cannot disable your own account.");
                    break;
                case "dailyTokenQuota":
                    quota = (true, OptionalNumber(field.Value, "dailyTokenQuota", 0, long.MaxValue, errors));
                    break;
                case "maxConcurrentReplies":
                    cap = (true, OptionalNumber(field.Value, "maxConcurrentReplies", 1, 10_000, errors));
                    break;
                default:
                    errors.Add(field.Name, field.Name == "disabled" ? "Must be true or false." : "Not a field of a user's settings.");
                    break;
            }
        }
        if (errors.Any) return errors.ToProblem();

        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == id, ct);
        if (user is null) return Problems.NotFound("user");
        if (disabled is { } value) user.Disabled = value;
        if (quota.Set) user.DailyTokenQuota = quota.Value;
        if (cap.Set) user.MaxConcurrentReplies = (int?)cap.Value;
        await db.SaveChangesAsync(ct);
        // The user's cached credentials carry the old settings (and would let a disabled account in).
        credentials.Forget();
        return TypedResults.Ok(ToDto(user, tokensToday: 0));
    }

    private static long? OptionalNumber(JsonElement value, string field, long min, long max, FieldErrors errors)
    {
        if (value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) && number >= min && number <= max) return number;
        errors.Add(field, $"Must be a whole number from {min} to {max}, or null for the configured default.");
        return null;
    }

    private static AdminUserDto ToDto(User u, long tokensToday) =>
        new(u.Id, u.Username, u.IsAdmin, u.Disabled, u.CreatedAt, u.DailyTokenQuota, u.MaxConcurrentReplies, tokensToday);
}
