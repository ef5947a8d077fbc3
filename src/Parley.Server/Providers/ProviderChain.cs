using Parley.Server.Infrastructure;
using Parley.Server.Providers.OpenAi;

namespace Parley.Server.Providers;

// One step of a model's route: the upstream model name and the provider that serves it.
internal sealed record RouteStep(string Model, UpstreamProvider Provider);

// A call that has started answering, and which step of the route answers it.
internal sealed record Opened<T>(T Call, RouteStep Step);

// SPEC §7's resilience for any kind of upstream call: retries with exponential backoff and jitter (honouring
// Retry-After up to a cap), the route's fallbacks, and each provider's circuit breaker. All of it happens
// before the call starts answering; the caller reports a failure after that with Failed, and nothing is retried.
internal sealed class ProviderChain(ParleyMetrics metrics, ILogger<ProviderChain> logger, TimeProvider clock)
{
    // Runs `open` on each step of the route in turn until one starts answering. `open` returns once the first
    // token (or whatever commits the call) has arrived, or throws UpstreamFailure. When every step fails, the
    // last failure is thrown.
    public async Task<Opened<T>> OpenAsync<T>(
        string modelId, IReadOnlyList<RouteStep> route, Func<RouteStep, CancellationToken, Task<T>> open, CancellationToken ct)
    {
        UpstreamFailure? lastFailure = null;
        foreach (var step in route)
        {
            var provider = step.Provider;
            for (var attempt = 0; attempt <= provider.Options.MaxRetries; attempt++)
            {
                if (!provider.Breaker.TryEnter())
                {
                    lastFailure ??= new UpstreamFailure(UpstreamFailureKind.CircuitOpen,
                        $"The provider '{provider.Name}' is failing and is paused for a moment.");
                    break;
                }

                UpstreamFailure failure;
                try
                {
                    var call = await open(step, ct);
                    provider.Breaker.Succeeded();
                    return new Opened<T>(call, step);
                }
                catch (UpstreamFailure ex)
                {
                    failure = ex;
                }
                catch (OperationCanceledException)
                {
                    provider.Breaker.Released();
                    throw;
                }

                Failed(modelId, step, failure);
                lastFailure = failure;
                if (!failure.IsRetryable || attempt == provider.Options.MaxRetries) break;
                var delay = RetryDelay(provider.Options, attempt, failure);
                if (delay is null) break; // The upstream asks for a longer wait than the cap allows.
                logger.LogInformation("Retrying {Provider} in {Delay} ms after {Kind}", provider.Name, (int)delay.Value.TotalMilliseconds, failure.Kind);
                await Task.Delay(delay.Value, clock, ct);
            }
        }
        throw lastFailure ?? new UpstreamFailure(UpstreamFailureKind.Unavailable, "No provider could answer.");
    }

    // Counts a failure against the provider's breaker (unless it was the request's own fault) and in the metrics.
    public void Failed(string modelId, RouteStep step, UpstreamFailure failure)
    {
        var provider = step.Provider;
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
}
