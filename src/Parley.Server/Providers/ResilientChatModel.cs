using System.Runtime.CompilerServices;
using Parley.Server.Infrastructure;
using Parley.Server.Providers.OpenAi;

namespace Parley.Server.Providers;

// A model served by upstream providers, with SPEC §7's resilience: retries with exponential backoff and
// jitter (honouring Retry-After up to a cap), a fallback chain, and a circuit breaker per provider. All of it
// happens only before the first token is forwarded; once text has gone out, a failure ends the reply.
internal sealed class ResilientChatModel(
    string modelId,
    IReadOnlyList<(string Model, UpstreamProvider Provider)> chain,
    ParleyMetrics metrics,
    ILogger logger,
    TimeProvider clock) : IChatModel
{
    public IReadOnlyList<string> Chain { get; } = chain.Select(c => c.Model).ToList();

    public async IAsyncEnumerable<ModelUpdate> StreamAsync(ModelRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        UpstreamFailure? lastFailure = null;
        foreach (var (model, provider) in chain)
        {
            for (var attempt = 0; attempt <= provider.Options.MaxRetries; attempt++)
            {
                if (!provider.Breaker.TryEnter())
                {
                    lastFailure ??= new UpstreamFailure(UpstreamFailureKind.CircuitOpen,
                        $"The provider '{provider.Name}' is failing and is paused for a moment.");
                    break;
                }

                var started = false;
                UpstreamFailure? failure = null;
                await using (var updates = provider.Client.StreamAsync(model, request, ct).GetAsyncEnumerator(ct))
                {
                    while (true)
                    {
                        ModelUpdate update;
                        try
                        {
                            if (!await updates.MoveNextAsync()) break;
                            update = updates.Current;
                        }
                        catch (UpstreamFailure ex)
                        {
                            failure = ex;
                            break;
                        }
                        catch (OperationCanceledException)
                        {
                            provider.Breaker.Released();
                            throw;
                        }
                        catch (Exception ex)
                        {
                            // Anything unexpected from the upstream's stream counts as a broken stream.
                            failure = new UpstreamFailure(UpstreamFailureKind.Broken, "The provider sent a reply Parley could not read: " + ex.GetType().Name);
                            break;
                        }

                        if (!started && update is TextDelta or ToolCallsReport)
                        {
                            started = true;
                            provider.Breaker.Succeeded();
                            yield return new AnsweredBy(model);
                        }
                        yield return update;
                    }
                }

                if (failure is null)
                {
                    if (!started)
                    {
                        provider.Breaker.Succeeded();
                        yield return new AnsweredBy(model);
                    }
                    yield break;
                }

                Record(provider, failure);
                if (started) throw ToModelFailure(failure, provider);

                lastFailure = failure;
                if (!failure.IsRetryable || attempt == provider.Options.MaxRetries) break;
                var delay = RetryDelay(provider.Options, attempt, failure);
                if (delay is null) break; // The upstream asks for a longer wait than the cap allows.
                logger.LogInformation("Retrying {Provider} in {Delay} ms after {Kind}", provider.Name, (int)delay.Value.TotalMilliseconds, failure.Kind);
                await Task.Delay(delay.Value, clock, ct);
            }
        }

        var last = lastFailure ?? new UpstreamFailure(UpstreamFailureKind.Unavailable, "No provider could answer.");
        throw ToModelFailure(last, chain.Count == 1 ? chain[0].Provider : null);
    }

    public async Task<string?> SuggestTitleAsync(ModelRequest request, CancellationToken ct)
    {
        var (model, provider) = chain[0];
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
            Record(provider, failure);
            return null;
        }
        finally
        {
            provider.Breaker.Released();
        }
    }

    private void Record(UpstreamProvider provider, UpstreamFailure failure)
    {
        if (failure.CountsAgainstProvider) provider.Breaker.Failed();
        else provider.Breaker.Released();
        metrics.UpstreamError(provider.Name, failure.Code);
        logger.LogWarning("Provider {Provider} failed for model {Model}: {Kind} {Status}", provider.Name, modelId, failure.Kind, failure.Status);
    }

    // Exponential backoff with full jitter between half and all of the step, capped; Retry-After wins when given.
    private static TimeSpan? RetryDelay(ProviderOptions options, int attempt, UpstreamFailure failure)
    {
        if (failure.RetryAfter is { } advised)
        {
            return advised <= TimeSpan.FromSeconds(options.MaxRetryAfterSeconds) ? advised : null;
        }
        var step = Math.Min(options.RetryMaxDelayMs, options.RetryBaseDelayMs * Math.Pow(2, attempt));
        return TimeSpan.FromMilliseconds(step * (0.5 + Random.Shared.NextDouble() / 2));
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
