namespace Parley.Server.Providers;

// One per provider. After BreakerFailureThreshold consecutive failures the provider is skipped for
// BreakerOpenSeconds; then a single probe is let through, and its result closes or re-opens the breaker.
internal sealed class CircuitBreaker(int failureThreshold, TimeSpan openFor, TimeProvider clock)
{
    private readonly Lock _lock = new();
    private int _consecutiveFailures;
    private DateTime? _openUntil;
    private bool _probing;

    public string State
    {
        get
        {
            lock (_lock)
            {
                if (_openUntil is null) return "closed";
                return clock.GetUtcNow().UtcDateTime < _openUntil ? "open" : "half-open";
            }
        }
    }

    // False while open, and for all but one caller while half-open.
    public bool TryEnter()
    {
        lock (_lock)
        {
            if (_openUntil is null) return true;
            if (clock.GetUtcNow().UtcDateTime < _openUntil || _probing) return false;
            _probing = true;
            return true;
        }
    }

    public void Succeeded()
    {
        lock (_lock)
        {
            _consecutiveFailures = 0;
            _openUntil = null;
            _probing = false;
        }
    }

    public void Failed()
    {
        lock (_lock)
        {
            _consecutiveFailures++;
            if (_probing || _consecutiveFailures >= failureThreshold) _openUntil = clock.GetUtcNow().UtcDateTime + openFor;
            _probing = false;
        }
    }

    // The call ended without saying anything about the provider's health (cancelled, or rejected as a bad request).
    public void Released()
    {
        lock (_lock) _probing = false;
    }
}
