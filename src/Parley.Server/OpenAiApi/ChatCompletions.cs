using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Parley.Server.Auth;
using Parley.Server.Infrastructure;
using Parley.Server.Messages;
using Parley.Server.Providers;
using Parley.Server.Providers.OpenAi;
using Parley.Server.Storage;

namespace Parley.Server.OpenAiApi;

// POST /v1/chat/completions (SPEC §9): checks the key's rate, the body, the model and the user's quota, then
// relays to the model's upstream route with ProviderChain's retries and fallbacks, or answers from a built-in model.
internal sealed class ChatCompletions(
    ModelCatalog catalog,
    UserLimits limits,
    ProviderChain providers,
    ApiUsageRecorder usage,
    IDbContextFactory<ParleyDb> dbs)
{
    public async Task HandleAsync(HttpContext http)
    {
        var ct = http.RequestAborted;
        // The group's filter let only API-key callers through.
        var keyId = http.User.ApiKeyId()!;
        if (await limits.TakeKeyRequestAsync(keyId, ct) is { } wait)
        {
            await OpenAiError.RateLimited("This API key is over its request rate. Retry after the time in the Retry-After header.", wait).WriteAsync(http);
            return;
        }

        var (request, invalid) = await CompletionRequest.ReadAsync(http.Request, ct);
        if (request is null)
        {
            await invalid!.WriteAsync(http);
            return;
        }
        if (catalog.Find(request.Model) is not { } model)
        {
            await OpenAiError.ModelNotFound(request.Model).WriteAsync(http);
            return;
        }

        var caller = new ApiCaller(http.User.UserId(), keyId);
        if (await limits.CheckQuotaAsync(dbs, caller.UserId, http.User.DailyTokenQuota(), ct) is { } quota)
        {
            await OpenAiError.QuotaExceeded(quota.Detail, quota.RetryAfter).WriteAsync(http);
            return;
        }

        var rewriter = new ChunkRewriter(Ids.New("chatcmpl"), request.Model);
        if (model.Route is { } route)
        {
            if (request.Stream) await RelayStreamAsync(http, request, model.Id, route, rewriter, caller);
            else await RelayCompletionAsync(http, request, model.Id, route, rewriter, caller);
        }
        else
        {
            await AnswerLocallyAsync(http, request, model, rewriter, caller);
        }
    }

    private async Task RelayStreamAsync(HttpContext http, CompletionRequest request, string modelId, IReadOnlyList<RouteStep> route,
        ChunkRewriter rewriter, ApiCaller caller)
    {
        var ct = http.RequestAborted;
        if (await OpenOrAnswerErrorAsync(http, modelId, route, (step, token) => UpstreamStream.OpenAsync(step, request, rewriter, token))
            is not { } opened) return;

        await using var upstream = opened.Call;
        try
        {
            StartEventStream(http);
            if (await upstream.RelayAsync(http.Response.BodyWriter, ct) is { } failure) providers.Failed(modelId, opened.Step, failure);
        }
        finally
        {
            await usage.RecordAsync(caller, opened.Step.Model, upstream.Usage);
        }
    }

    private async Task RelayCompletionAsync(HttpContext http, CompletionRequest request, string modelId, IReadOnlyList<RouteStep> route,
        ChunkRewriter rewriter, ApiCaller caller)
    {
        var ct = http.RequestAborted;
        if (await OpenOrAnswerErrorAsync(http, modelId, route, (step, token) => UpstreamCompletion.CallAsync(step, request, rewriter, token))
            is not var (completion, step)) return;

        var facts = completion.Facts;
        await usage.RecordAsync(caller, step.Model, (facts.PromptTokens ?? request.PromptEstimate, facts.CompletionTokens ?? rewriter.Text.Tokens));
        http.Response.ContentType = "application/json";
        rewriter.Write(completion.Json.Span, facts, http.Response.BodyWriter);
        await http.Response.BodyWriter.FlushAsync(ct);
    }

    // The call on the first step of the route that answers, or null once every step failed and the client has
    // been told why.
    private async Task<Opened<T>?> OpenOrAnswerErrorAsync<T>(HttpContext http, string modelId, IReadOnlyList<RouteStep> route,
        Func<RouteStep, CancellationToken, Task<T>> open)
    {
        try
        {
            return await providers.OpenAsync(modelId, route, open, http.RequestAborted);
        }
        catch (UpstreamFailure failure)
        {
            await OpenAiError.FromUpstream(failure).WriteAsync(http);
            return null;
        }
    }

    private async Task AnswerLocallyAsync(HttpContext http, CompletionRequest request, ModelEntry model, ChunkRewriter rewriter, ApiCaller caller)
    {
        var local = new LocalCompletion(rewriter.Id, request, model);
        try
        {
            if (request.Stream)
            {
                StartEventStream(http);
                await local.StreamAsync(http.Response, http.RequestAborted);
            }
            else if (await local.CompleteAsync(http.Response, http.RequestAborted) is { } error)
            {
                await error.WriteAsync(http);
            }
        }
        finally
        {
            await usage.RecordAsync(caller, model.Id, local.Usage);
        }
    }

    private static void StartEventStream(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }
}
