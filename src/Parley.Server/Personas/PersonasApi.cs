using Microsoft.AspNetCore.Http.HttpResults;

namespace Parley.Server.Personas;

internal static class PersonasApi
{
    public static IEndpointRouteBuilder MapPersonas(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/personas", List).RequireAuthorization();
        return app;
    }

    internal static Ok<List<PersonaDto>> List(PersonaCatalog catalog) =>
        TypedResults.Ok(catalog.All.Select(p => new PersonaDto(p.Id, p.Name, p.Description, p.SystemPrompt)).ToList());
}
