using System.Runtime.CompilerServices;
using Parley.Server.Providers.OpenAi;

namespace Parley.Server.Providers;

// A model served by upstream providers. ProviderChain applies SPEC §7's retries, fallbacks and circuit
// breakers until a provider starts answering; once text has gone out, a failure ends the reply.
internal sealed class ResilientChatModel(string modelId, IReadOnlyList<RouteStep> route, ProviderChain providers) : IChatModel
{
    public async IAsyncEnumerable<ModelUpdate> StreamAsync(ModelRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        Opened<StartedStream> opened;
        try
        {
            opened = await providers.OpenAsync(modelId, route, (step, token) => StartAsync(step, request, token), ct);
        }
        catch (UpstreamFailure failure)
        {
            throw ToModelFailure(failure, route.Count == 1 ? route[0].Provider : null);
        }

        var (started, step) = opened;
        await using var updates = started.Updates;
        yield return new AnsweredBy(step.Model);
        foreach (var update in started.Early) yield return update;
        if (started.Ended) yield break;

        while (true)
        {
            UpstreamFailure? failure = null;
            try
            {
                if (!await updates.MoveNextAsync()) yield break;
            }
            catch (UpstreamFailure ex)
            {
                failure = ex;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failure = Unreadable(ex);
            }
            if (failure is not null)
            {
                providers.Failed(modelId, step, failure);
                throw ToModelFailure(failure, step.Provider);
            }
            yield return updates.Current;
        }
    }

    // The updates of one upstream call, read up to its first token (or tool call), or to its end if it had none.
    private sealed record StartedStream(IAsyncEnumerator<ModelUpdate> Updates, List<ModelUpdate> Early, bool Ended);

    private static async Task<StartedStream> StartAsync(RouteStep step, ModelRequest request, CancellationToken ct)
    {
        var updates = step.Provider.Client.StreamAsync(step.Model, request, ct).GetAsyncEnumerator(ct);
        var early = new List<ModelUpdate>();
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await updates.MoveNextAsync();
                }
                catch (Exception ex) when (ex is not (UpstreamFailure or OperationCanceledException))
                {
                    throw Unreadable(ex);
                }
                if (!more) return new StartedStream(updates, early, Ended: true);
                early.Add(updates.Current);
                if (updates.Current is TextDelta or ToolCallsReport) return new StartedStream(updates, early, Ended: false);
            }
        }
        catch
        {
            await updates.DisposeAsync();
            throw;
        }
    }

    // Anything unexpected from the upstream's stream counts as a broken stream.
    private static UpstreamFailure Unreadable(Exception ex) =>
        new(UpstreamFailureKind.Broken, "The provider sent a reply Parley could not read: " + ex.GetType().Name);

    public async Task<string?> SuggestTitleAsync(ModelRequest request, CancellationToken ct)
    {
        var (model, provider) = (route[0].Model, route[0].Provider);
        if (!provider.Breaker.TryEnter()) return null;
        try
        {
            var titleRequest = new ModelRequest(model, request.PersonaName,
            [
                new ChatTurn("system", "Write a short title of at most six words for this conversation, in the language of the user's message. Reply with the title only, no quotes."),
                new ChatTurn("user", request.LastUserMessage),
            ], MaxOutputTokens: 24);
            var title = await provider.Client.CompleteTextAsync(model, titleRequest, ct);
            provider.Breaker.Succeeded();
            return title;
        }
        catch (UpstreamFailure failure)
        {
            providers.Failed(modelId, route[0], failure);
            return null;
        }
        finally
        {
            provider.Breaker.Released();
        }
    }

    private static ModelFailure ToModelFailure(UpstreamFailure failure, UpstreamProvider? provider)
    {
        var who = provider is null ? "The model's providers" : $"The provider '{provider.Name}'";
        var advice = failure.Code switch
        {
            "upstream_rate_limited" => failure.Kind == UpstreamFailureKind.QuotaExceeded
                ? $"{who} has no quota left. Add credit or switch models."
                : $"{who} is rate limiting requests. Wait a minute and try again.",
            "upstream_unavailable" => $"{who} is unavailable right now. Try again shortly or pick another model.",
            "upstream_timeout" => $"{who} took too long to answer. Try again, or pick another model.",
            "upstream_auth" => $"{who} refused Parley's credentials. An administrator must check its API key.",
            _ => $"{who} returned an error. Try again.",
        };
        return new ModelFailure(failure.Code, $"{advice} ({failure.Message})", failure);
    }
}
