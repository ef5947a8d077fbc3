using System.Text.Json;
using Parley.Server.Auth;
using Parley.Server.Providers;

namespace Parley.Server.OpenAiApi;

// The OpenAI-compatible API (SPEC §9) that the official SDKs use unchanged, authenticated by Parley API keys.
internal static class OpenAiApiExtensions
{
    public static IServiceCollection AddParleyOpenAiApi(this IServiceCollection services)
    {
        services.AddSingleton<ApiUsageRecorder>();
        services.AddSingleton<ChatCompletions>();
        return services;
    }

    public static IEndpointRouteBuilder MapOpenAiApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup(OpenAiError.PathPrefix).RequireAuthorization();
        // /v1 is for programs, and its usage is accounted per key: a browser's session cookie is not enough.
        v1.AddEndpointFilter(async (context, next) =>
        {
            if (context.HttpContext.User.ApiKeyId() is not null) return await next(context);
            await OpenAiError.Unauthorized("The /v1 API takes an API key: send 'Authorization: Bearer <api key>'. Create one with POST /api/keys.")
                .WriteAsync(context.HttpContext);
            return Results.Empty;
        });
        v1.MapGet("/models", ListModels);
        v1.MapPost("/chat/completions", (HttpContext http, ChatCompletions completions) => completions.HandleAsync(http));
        v1.Map("/{**path}", (HttpContext http) =>
            OpenAiError.FromStatus(404, $"Parley's /v1 API has no route {http.Request.Method} {http.Request.Path}. It serves GET /v1/models and POST /v1/chat/completions.").WriteAsync(http));
        return app;
    }

    // GET /v1/models in OpenAI's list shape.
    private static async Task ListModels(HttpContext http, ModelCatalog catalog)
    {
        http.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(http.Response.Body, RelayJson.WriterOptions);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        foreach (var model in catalog.All)
        {
            json.WriteStartObject();
            json.WriteString("id", model.Id);
            json.WriteString("object", "model");
            json.WriteNumber("created", 0);
            json.WriteString("owned_by", model.Provider);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
