namespace Parley.Server.Providers.OpenAi;

internal enum UpstreamFailureKind
{
    Connect,
    RateLimited,
    QuotaExceeded,
    Unavailable,
    Auth,
    Rejected,
    Timeout,
    Broken,
    CircuitOpen,
}

// A failed call to an upstream, classified for the retry policy (SPEC §7) and for the error code on the message.
internal sealed class UpstreamFailure(UpstreamFailureKind kind, string message, int? status = null, TimeSpan? retryAfter = null)
    : Exception(message)
{
    public UpstreamFailureKind Kind { get; } = kind;
    public int? Status { get; } = status;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    // Retried with backoff, and only while no token has been forwarded: connect failures, 429 (but not an
    // exhausted quota) and 500/502/503/504/529. 400, 401, 403 and 404 never are.
    public bool IsRetryable => Kind is UpstreamFailureKind.Connect or UpstreamFailureKind.RateLimited or UpstreamFailureKind.Unavailable;

    // Whether the failure says something about the provider's health (and so counts for its circuit breaker).
    public bool CountsAgainstProvider => Kind is not (UpstreamFailureKind.Rejected or UpstreamFailureKind.CircuitOpen);

    public string Code => Kind switch
    {
        UpstreamFailureKind.RateLimited or UpstreamFailureKind.QuotaExceeded => "upstream_rate_limited",
        UpstreamFailureKind.Connect or UpstreamFailureKind.Unavailable or UpstreamFailureKind.CircuitOpen => "upstream_unavailable",
        UpstreamFailureKind.Timeout => "upstream_timeout",
        UpstreamFailureKind.Auth => "upstream_auth",
        _ => "upstream_error",
    };

    public static UpstreamFailure FromStatus(int status, string? code, string? upstreamMessage, TimeSpan? retryAfter)
    {
        var detail = string.IsNullOrWhiteSpace(upstreamMessage) ? "" : $" ({Truncate(upstreamMessage)})";
        return status switch
        {
            429 when code == "insufficient_quota" => new(UpstreamFailureKind.QuotaExceeded, $"The provider's quota is used up{detail}.", status),
            429 => new(UpstreamFailureKind.RateLimited, $"The provider is rate limiting requests{detail}.", status, retryAfter),
            500 or 502 or 503 or 504 or 529 => new(UpstreamFailureKind.Unavailable, $"The provider is unavailable (HTTP {status}){detail}.", status, retryAfter),
            401 or 403 => new(UpstreamFailureKind.Auth, $"The provider refused Parley's credentials (HTTP {status}). Check the provider's ApiKey.", status),
            _ => new(UpstreamFailureKind.Rejected, $"The provider rejected the request (HTTP {status}){detail}.", status),
        };
    }

    private static string Truncate(string text) => text.Length > 300 ? text[..300] + "…" : text;
}
