using Microsoft.AspNetCore.Http.HttpResults;

namespace Parley.Server.Providers;

internal static class ModelsApi
{
    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/models", List).RequireAuthorization();
        return app;
    }

    internal static Ok<ModelListDto> List(ModelCatalog catalog) =>
        TypedResults.Ok(new ModelListDto(catalog.Default,
            catalog.All.Select(m => new ModelDto(m.Id, m.Provider, m.DisplayName, m.ContextWindow)).ToList()));
}
