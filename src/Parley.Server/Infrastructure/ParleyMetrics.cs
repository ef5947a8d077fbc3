using System.Diagnostics.Metrics;

namespace Parley.Server.Infrastructure;

// SPEC §10: the "Parley" meter. Any System.Diagnostics.Metrics listener (dotnet-counters, OpenTelemetry) reads it.
internal sealed class ParleyMetrics : IDisposable
{
    public const string MeterName = "Parley";

    private readonly Meter _meter;
    private readonly UpDownCounter<int> _activeStreams;
    private readonly Counter<long> _repliesStarted;
    private readonly Counter<long> _repliesFinished;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<double> _tokensPerSecond;
    private readonly Counter<long> _upstreamErrors;

    public ParleyMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _activeStreams = _meter.CreateUpDownCounter<int>("parley.streams.active", description: "Open SSE and WebSocket reply streams");
        _repliesStarted = _meter.CreateCounter<long>("parley.replies.started");
        _repliesFinished = _meter.CreateCounter<long>("parley.replies.finished", description: "Finished replies, tagged by status");
        _timeToFirstToken = _meter.CreateHistogram<double>("parley.replies.time_to_first_token", unit: "s");
        _tokensPerSecond = _meter.CreateHistogram<double>("parley.replies.tokens_per_second");
        _upstreamErrors = _meter.CreateCounter<long>("parley.upstream.errors", description: "Upstream failures, tagged by provider and code");
    }

    public IDisposable TrackStream()
    {
        _activeStreams.Add(1);
        return new Release(() => _activeStreams.Add(-1));
    }

    public void ReplyStarted(string model) => _repliesStarted.Add(1, new KeyValuePair<string, object?>("model", model));

    public void ReplyFinished(string status, string? errorCode) =>
        _repliesFinished.Add(1, new("status", status), new("error", errorCode));

    public void FirstToken(TimeSpan elapsed) => _timeToFirstToken.Record(elapsed.TotalSeconds);

    public void Throughput(int tokens, TimeSpan elapsed)
    {
        if (tokens > 0 && elapsed > TimeSpan.Zero) _tokensPerSecond.Record(tokens / elapsed.TotalSeconds);
    }

    public void UpstreamError(string provider, string code) =>
        _upstreamErrors.Add(1, new("provider", provider), new("code", code));

    public void Dispose() => _meter.Dispose();

    private sealed class Release(Action action) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) action();
        }
    }
}
