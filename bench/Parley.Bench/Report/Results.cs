using Parley.Bench.Load;

namespace Parley.Bench.Report;

internal sealed record Percentiles(double P50, double P95, double P99, double Max, int Count)
{
    public static Percentiles Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) return new Percentiles(double.NaN, double.NaN, double.NaN, double.NaN, 0);
        var sorted = values.Order().ToArray();
        double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Percentiles(At(50), At(95), At(99), sorted[^1], sorted.Length);
    }

    public Percentiles Minus(Percentiles floor) => new(P50 - floor.P50, P95 - floor.P95, P99 - floor.P99, Max - floor.Max, Count);
}

// One scenario at one concurrency step.
internal sealed record StepResult(
    string Scenario,
    int Concurrency,
    double Seconds,
    int Streams,
    long Tokens,
    int Errors,
    string? FirstError,
    Percentiles TimeToFirstTokenMs,
    Percentiles? AddedTimeToFirstTokenMs,
    Percentiles TokenLatencyUs,
    Percentiles? AddedTokenLatencyUs,
    Percentiles GapMs,
    int Stalls,
    double? ServerCpuSecondsPer1000Tokens,
    double? FakeLlmCpuSecondsPer1000Tokens,
    double? ServerIdleRssMiB,
    double? ServerPeakRssMiB,
    double? ServerKiBPerStream,
    // Null in the results of runs from before the bench read it, which --redraw may be given.
    CoreUse? Cores,
    // Chat's only; null elsewhere, and in the results of runs from before the bench read it.
    ChatPhases? Phases = null);

// The parts of chat's time to first token, one after the other: the send's response, then the stream's response
// headers, then the first token on the open stream.
internal sealed record ChatPhases(Percentiles SendMs, Percentiles StreamOpenMs, Percentiles FirstTokenWaitMs)
{
    public static ChatPhases? Of(StreamStats stats) => stats.SendMs.Count == 0 ? null :
        new(Percentiles.Of(stats.SendMs), Percentiles.Of(stats.StreamOpenMs), Percentiles.Of(stats.FirstTokenWaitMs));
}

internal sealed record HistoryResult(int ShortMessages, int LongMessages, Percentiles ShortMs, Percentiles LongMs)
{
    public double RatioP50 => LongMs.P50 / ShortMs.P50;
}

internal sealed record SessionListResult(int Sessions, Percentiles FirstPageMs, Percentiles DeepPageMs);

internal sealed record BenchResults(
    DateTime StartedAt,
    string Machine,
    string Conditions,
    List<StepResult> Steps,
    HistoryResult? History,
    SessionListResult? SessionList)
{
    // The highest step of a scenario with no stall and no error.
    public int? MostStreamsWithoutStall(string scenario) =>
        Steps.Where(s => s.Scenario == scenario && s.Stalls == 0 && s.Errors == 0 && s.Streams > 0)
            .Select(s => (int?)s.Concurrency).Max();

    // Memory per active stream as the least-squares slope of each step's growth (peak − idle RSS) against its
    // streams: what one more stream costs. A step's own quotient also divides by its streams the few hundred
    // KiB by which a process's RSS moves at any load, which at one stream reads as hundreds of KiB per stream.
    // Fitted over the steps of 10 streams and more, and only where there are three of them.
    public double? KiBPerStreamFitted(string scenario)
    {
        var points = Steps.Where(s => s.Scenario == scenario && s.Concurrency >= 10 && s.ServerPeakRssMiB is not null)
            .Select(s => (X: (double)s.Concurrency, Y: (s.ServerPeakRssMiB!.Value - s.ServerIdleRssMiB!.Value) * 1024)).ToList();
        if (points.Select(p => p.X).Distinct().Count() < 3) return null;
        var meanX = points.Average(p => p.X);
        var meanY = points.Average(p => p.Y);
        return points.Sum(p => (p.X - meanX) * (p.Y - meanY)) / points.Sum(p => (p.X - meanX) * (p.X - meanX));
    }
}
