using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FakeLlm;

internal static class FakeEndpoints
{
    private static readonly JsonSerializerOptions InspectionJson = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Map(WebApplication app, FakeLlmState state, FakeLlmHostOptions options)
    {
        var chat = new ChatCompletionsEndpoint(state, options.ApiKey);
        app.MapPost("/v1/chat/completions", chat.HandleAsync);
        app.MapGet("/v1/models", context => ModelsAsync(context, options));

        // Test-control endpoints stay open even with --api-key: they belong to the harness, not the API.
        app.MapGet("/_fake/health", () => Results.Json(new { status = "ok" }));
        app.MapGet("/_fake/requests", () => Results.Json(state.Snapshot(), InspectionJson));
        app.MapDelete("/_fake/requests", () =>
        {
            state.ClearRequests();
            return Results.NoContent();
        });
        app.MapGet("/_fake/faults", () => Results.Json(state.Faults(), InspectionJson));
        app.MapPost("/_fake/faults", context => AddFaultAsync(context, state));
        app.MapDelete("/_fake/faults", () =>
        {
            state.ClearFaults();
            return Results.NoContent();
        });

        app.MapFallback(context => ErrorResponses.WriteAsync(
            context, StatusCodes.Status404NotFound, $"Unknown route {context.Request.Method} {context.Request.Path}."));
    }

    private static async Task ModelsAsync(HttpContext context, FakeLlmHostOptions options)
    {
        if (!ApiKeyGuard.IsAuthorized(context, options.ApiKey))
        {
            await ApiKeyGuard.RejectAsync(context);
            return;
        }

        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var data = new JsonArray();
        foreach (var id in options.Models)
        {
            data.Add(new JsonObject { ["id"] = id, ["object"] = "model", ["created"] = created, ["owned_by"] = "fakellm" });
        }

        var list = new JsonObject { ["object"] = "list", ["data"] = data };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(OpenAiJson.Serialize(list), context.RequestAborted);
    }

    private static async Task AddFaultAsync(HttpContext context, FakeLlmState state)
    {
        FakeFault? fault;
        try
        {
            fault = await JsonSerializer.DeserializeAsync<FakeFault>(context.Request.Body, InspectionJson, context.RequestAborted);
        }
        catch (JsonException e)
        {
            await ErrorResponses.WriteAsync(context, StatusCodes.Status400BadRequest, $"Invalid fault JSON: {e.Message}");
            return;
        }

        if (fault is null || string.IsNullOrEmpty(fault.Model) || fault.Status is < 400 or > 599)
        {
            await ErrorResponses.WriteAsync(
                context, StatusCodes.Status400BadRequest, "A fault needs 'model' (base name or *) and a 4xx/5xx 'status'.");
            return;
        }

        state.AddFault(fault);
        context.Response.StatusCode = StatusCodes.Status201Created;
        await context.Response.WriteAsJsonAsync(fault, InspectionJson, context.RequestAborted);
    }
}
