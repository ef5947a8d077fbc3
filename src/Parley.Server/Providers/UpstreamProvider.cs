using Parley.Server.Providers.OpenAi;

namespace Parley.Server.Providers;

// A configured upstream: its client, its settings and its circuit breaker.
internal sealed record UpstreamProvider(string Name, ProviderOptions Options, OpenAiChatClient Client, CircuitBreaker Breaker);
