using Microsoft.AspNetCore.Http.HttpResults;
using Parley.Server.Storage;

namespace Parley.Server.Health;

internal sealed record HealthDto(string Status, int? SchemaVersion = null, string? Detail = null);

internal static class HealthApi
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("/health").AllowAnonymous();
        health.MapGet("/live", () => TypedResults.Ok(new HealthDto("live")));
        health.MapGet("/ready", Ready);
        return app;
    }

    // Ready means the database answers and carries every migration this build knows.
    internal static async Task<Results<Ok<HealthDto>, JsonHttpResult<HealthDto>>> Ready(
        SchemaMigrator migrator, DatabaseTarget target, ILogger<SchemaMigrator> logger, CancellationToken ct)
    {
        try
        {
            var version = await migrator.CurrentVersionAsync(ct);
            var latest = SchemaMigrator.LatestVersion(target.Kind);
            return version >= latest
                ? TypedResults.Ok(new HealthDto("ready", version))
                : TypedResults.Json(new HealthDto("not_ready", version, $"Schema version {version} is behind {latest}."), statusCode: 503);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Readiness check failed");
            return TypedResults.Json(new HealthDto("not_ready", null, "The database is unreachable."), statusCode: 503);
        }
    }
}
