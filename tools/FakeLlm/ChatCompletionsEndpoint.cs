using System.Text.Json;

namespace FakeLlm;

internal sealed class ChatCompletionsEndpoint(FakeLlmState state, string? apiKey)
{
    public async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var raw = await reader.ReadToEndAsync(context.RequestAborted);
        var body = ParseBody(raw);
        var model = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("model", out var m)
            && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
        var entry = state.Begin(model, body, context.Request.Headers.Authorization.FirstOrDefault());
        // Recorded as the headers leave, so a client that has seen the status also sees it in the log.
        context.Response.OnStarting(() =>
        {
            entry.SetStatus(context.Response.StatusCode);
            return Task.CompletedTask;
        });

        // RequestAborted fires when the peer goes away; the entry ignores it once we finished or aborted ourselves.
        using var closeWatch = context.RequestAborted.Register(entry.MarkClientClosed);
        try
        {
            await RespondAsync(context, entry, body);
        }
        catch (Exception e) when (context.RequestAborted.IsCancellationRequested
            && e is OperationCanceledException or IOException)
        {
            // The client left (or we reset on purpose); nothing more can be written.
        }
        finally
        {
            // The abort callback and the cancelled write race; whichever runs first, record the client leaving.
            if (context.RequestAborted.IsCancellationRequested)
            {
                entry.MarkClientClosed();
            }

            entry.Complete(context.Response.StatusCode);
        }
    }

    private async Task RespondAsync(HttpContext context, RequestEntry entry, JsonElement body)
    {
        if (!ApiKeyGuard.IsAuthorized(context, apiKey))
        {
            await ApiKeyGuard.RejectAsync(context);
            return;
        }

        if (!ChatRequest.TryParse(body, out var request, out var error))
        {
            await ErrorResponses.WriteAsync(context, StatusCodes.Status400BadRequest, error.Message, param: error.Param);
            return;
        }

        var directives = Directives.Parse(request.Model);
        var callNumber = state.CountCall(request.Model);
        if (directives.HeaderDelayMs > 0)
        {
            await Task.Delay(directives.HeaderDelayMs, context.RequestAborted);
        }

        if (state.TakeFault(directives.BaseModel) is { } fault)
        {
            await ErrorResponses.WriteAsync(
                context,
                fault.Status,
                $"Injected fault: {fault.Status} for model '{directives.BaseModel}'.",
                fault.Code,
                retryAfter: fault.RetryAfter?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return;
        }

        if (directives.Status is int status && (directives.Times is not int times || callNumber <= times))
        {
            await ErrorResponses.WriteAsync(
                context,
                status,
                $"Fake upstream returned {status} (call {callNumber})." +
                    (directives.EchoAuth ? $" Incorrect API key provided: {context.Request.Headers.Authorization}." : ""),
                directives.Code,
                retryAfter: directives.RetryAfter);
            return;
        }

        var reply = ReplyBuilder.Build(request, directives, entry.Id);
        var identity = new CompletionIdentity(
            $"chatcmpl-fake{entry.Id}", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), directives.BaseModel);
        if (request.Stream)
        {
            await new StreamingResponder(context, entry, request, directives, reply, identity).RunAsync();
        }
        else
        {
            await new NonStreamingResponder(context, entry, directives, reply, identity).RunAsync();
        }
    }

    // The log keeps whatever arrived; a non-JSON body is stored as a JSON string so it stays inspectable.
    private static JsonElement ParseBody(string raw)
    {
        try
        {
            using var document = JsonDocument.Parse(raw);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(raw);
        }
    }
}
