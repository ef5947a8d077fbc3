using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Parley.Server.Infrastructure;
using Parley.Server.Storage;

namespace Parley.Server.Auth;

internal static class KeysApi
{
    public static IEndpointRouteBuilder MapKeys(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/api/keys").RequireAuthorization();
        keys.MapPost("/", Create);
        keys.MapGet("/", List);
        keys.MapDelete("/{id}", Delete);
        return app;
    }

    internal static async Task<Results<Created<CreatedKeyDto>, ValidationProblem>> Create(
        CreateKeyRequest body, HttpContext http, ParleyDb db, TimeProvider clock, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(body.Name)) errors.Add("name", "Required.");
        errors.MaxLength("name", body.Name, 100);
        if (errors.Any) return errors.ToProblem();

        var secret = Secrets.NewApiKey();
        var key = new ApiKey
        {
            Id = Ids.New("key"),
            UserId = http.User.UserId(),
            Name = body.Name!.Trim(),
            KeyHash = Secrets.HashToken(secret),
            Prefix = secret[..10],
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/keys/{key.Id}", new CreatedKeyDto(key.Id, key.Name, secret, key.CreatedAt));
    }

    internal static async Task<Ok<List<KeyDto>>> List(HttpContext http, ParleyDb db, CancellationToken ct)
    {
        var userId = http.User.UserId();
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.UserId == userId).OrderBy(k => k.CreatedAt).ToListAsync(ct);
        var keyIds = keys.Select(k => (string?)k.Id).ToList();
        var usage = await db.UsageRecords.AsNoTracking()
            .Where(u => keyIds.Contains(u.ApiKeyId))
            .GroupBy(u => u.ApiKeyId!)
            .Select(g => new { KeyId = g.Key, Prompt = g.Sum(u => (long)u.PromptTokens), Completion = g.Sum(u => (long)u.CompletionTokens), Requests = g.Count() })
            .ToDictionaryAsync(u => u.KeyId, u => new KeyUsageDto(u.Prompt, u.Completion, u.Prompt + u.Completion, u.Requests), ct);
        return TypedResults.Ok(keys.Select(k => k.ToDto(usage.GetValueOrDefault(k.Id, KeyUsageDto.None))).ToList());
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, HttpContext http, ParleyDb db, CredentialCache credentials,
        CancellationToken ct)
    {
        var userId = http.User.UserId();
        var deleted = await db.ApiKeys.Where(k => k.Id == id && k.UserId == userId).ExecuteDeleteAsync(ct);
        if (deleted > 0) credentials.Forget();
        return deleted == 0 ? Problems.NotFound("API key") : TypedResults.NoContent();
    }
}
