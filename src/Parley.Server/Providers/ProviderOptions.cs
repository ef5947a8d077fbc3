using System.ComponentModel.DataAnnotations;

namespace Parley.Server.Providers;

// One entry of Parley:Providers (SPEC §7). Every resilience setting is per provider.
internal sealed class ProviderOptions
{
    // Only "openai" (the OpenAI Chat Completions wire format) is supported; every listed upstream speaks it.
    public string Type { get; set; } = "openai";

    [Required]
    public string BaseUrl { get; set; } = "";

    // Never logged. Omit for local servers (Ollama, vLLM, llama.cpp) that take no key.
    public string? ApiKey { get; set; }

    public List<string> Models { get; set; } = [];

    [Range(256, 10_000_000)]
    public int ContextWindow { get; set; } = 8192;

    // Longest a whole reply may take.
    [Range(1, 3_600)]
    public int TimeoutSeconds { get; set; } = 120;

    [Range(1, 300)]
    public int ConnectTimeoutSeconds { get; set; } = 10;

    // From sending the request to the first token (or tool-call fragment).
    [Range(1, 3_600)]
    public int FirstTokenTimeoutSeconds { get; set; } = 60;

    // Longest silence between two streamed chunks once the reply has started.
    [Range(1, 3_600)]
    public int IdleTimeoutSeconds { get; set; } = 30;

    [Range(0, 20)]
    public int MaxRetries { get; set; } = 2;

    [Range(1, 60_000)]
    public int RetryBaseDelayMs { get; set; } = 500;

    [Range(1, 300_000)]
    public int RetryMaxDelayMs { get; set; } = 10_000;

    // A Retry-After longer than this is not waited for: the provider counts as failed (and a fallback may answer).
    [Range(0, 3_600)]
    public int MaxRetryAfterSeconds { get; set; } = 30;

    // Consecutive failures that open the circuit breaker, and how long it stays open before one probe.
    [Range(1, 1_000)]
    public int BreakerFailureThreshold { get; set; } = 5;

    [Range(1, 3_600)]
    public int BreakerOpenSeconds { get; set; } = 30;

    // Some local servers reject the "tools" field; turn server-side tools off for them.
    public bool SupportsTools { get; set; } = true;

    // Ask for usage in the stream (stream_options.include_usage). Off for servers that reject the field.
    public bool RequestUsage { get; set; } = true;
}

internal sealed class ToolsOptions
{
    public const string Section = "Parley:Tools";

    // Server-side tools offered to models that support tools; null means all built-in tools, empty turns them off.
    // (No initial list: the configuration binder would append to it instead of replacing it.)
    public List<string>? Enabled { get; set; }

    [Range(1, 20)]
    public int MaxSteps { get; set; } = 5;
}
