namespace Parley.Bench.Load;

// What one virtual user saw during a step. Each user keeps its own, so recording takes no lock; the step
// merges them at the end.
internal sealed class StreamStats
{
    public List<double> TimeToFirstTokenMs { get; } = [];
    // Receive time minus FakeLlm's send stamp, per token, where the chunk carries the stamp.
    public List<double> TokenLatencyUs { get; } = [];
    public List<double> GapMs { get; } = [];
    // Chat only, the parts of a turn's time to first token: the send's response, then the stream's response
    // headers, then the first token on the open stream.
    public List<double> SendMs { get; } = [];
    public List<double> StreamOpenMs { get; } = [];
    public List<double> FirstTokenWaitMs { get; } = [];
    public int Streams { get; set; }
    public long Tokens { get; set; }
    public int Stalls { get; set; }
    public int Errors { get; set; }
    public string? FirstError { get; set; }

    public void Failed(string error)
    {
        Errors++;
        FirstError ??= error;
    }

    public void Merge(StreamStats other)
    {
        TimeToFirstTokenMs.AddRange(other.TimeToFirstTokenMs);
        TokenLatencyUs.AddRange(other.TokenLatencyUs);
        GapMs.AddRange(other.GapMs);
        SendMs.AddRange(other.SendMs);
        StreamOpenMs.AddRange(other.StreamOpenMs);
        FirstTokenWaitMs.AddRange(other.FirstTokenWaitMs);
        Streams += other.Streams;
        Tokens += other.Tokens;
        Stalls += other.Stalls;
        Errors += other.Errors;
        FirstError ??= other.FirstError;
    }
}

// Follows the tokens of one stream: time to the first, the gaps between them, and stalls.
internal sealed class TokenClock(StreamStats stats, long startedAt, TimeSpan stallGap)
{
    private long _last;

    public bool Started => _last != 0;

    // When the first token came, on the monotonic clock; 0 until then.
    public long FirstAt { get; private set; }

    public void Token(long now)
    {
        if (_last == 0)
        {
            FirstAt = now;
            stats.TimeToFirstTokenMs.Add(Monotonic.Milliseconds(now - startedAt));
        }
        else
        {
            var gap = Monotonic.Milliseconds(now - _last);
            stats.GapMs.Add(gap);
            if (gap > stallGap.TotalMilliseconds) stats.Stalls++;
        }
        _last = now;
        stats.Tokens++;
    }
}

// The machine's monotonic clock in nanoseconds: the same clock FakeLlm stamps its chunks with.
internal static class Monotonic
{
    private static readonly double NanosecondsPerTick = 1_000_000_000.0 / System.Diagnostics.Stopwatch.Frequency;

    public static long Now => (long)(System.Diagnostics.Stopwatch.GetTimestamp() * NanosecondsPerTick);

    public static double Milliseconds(long nanoseconds) => nanoseconds / 1_000_000.0;
}
