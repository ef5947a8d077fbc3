using System.Globalization;

namespace Parley.Bench.Report;

// A panel's vertical axis. Latencies and stall counts span four or five decades from one stream to 2,000 (a
// first token in 0.3 ms, then in seconds), so they are drawn on a logarithmic axis, on which the steps where the
// targets lie are not flattened against zero; busy cores on a linear one from 0 to the machine's count.
internal sealed class ChartAxis
{
    private readonly Func<double, double> _position;
    private readonly double _low;
    private readonly double _high;

    private ChartAxis(Func<double, double> position, IReadOnlyList<double> ticks)
    {
        _position = position;
        Ticks = ticks;
        _low = position(ticks[0]);
        _high = position(ticks[^1]);
    }

    public IReadOnlyList<double> Ticks { get; }

    // 0 at the bottom of the panel, 1 at its top.
    public double Fraction(double value) => Math.Clamp((_position(value) - _low) / (_high - _low), 0, 1);

    public static string Label(double value) => value.ToString("#,0.###", CultureInfo.InvariantCulture);

    // Powers of ten around the values; values of 0 or less sit on the bottom line.
    public static ChartAxis Logarithmic(IReadOnlyCollection<double> values)
    {
        var positive = values.Where(v => v > 0).ToList();
        var low = positive.Count == 0 ? 0 : (int)Math.Floor(Math.Log10(positive.Min()));
        var high = positive.Count == 0 ? 1 : Math.Max(low + 1, (int)Math.Ceiling(Math.Log10(positive.Max())));
        return new ChartAxis(v => Math.Log10(Math.Max(v, Math.Pow(10, low))), Enumerable.Range(low, high - low + 1).Select(e => Math.Pow(10, e)).ToList());
    }

    // Counts that are often 0: log10(1 + count), with ticks at 0, 10, 100 and so on.
    public static ChartAxis LogarithmicFromZero(IReadOnlyCollection<double> values)
    {
        var high = Math.Max(1, (int)Math.Ceiling(Math.Log10(1 + values.DefaultIfEmpty(0).Max())));
        return new ChartAxis(v => Math.Log10(1 + Math.Max(0, v)), [0, .. Enumerable.Range(1, high).Select(e => Math.Pow(10, e))]);
    }

    public static ChartAxis Linear(double top, int divisions) =>
        new(v => v, Enumerable.Range(0, divisions + 1).Select(i => top * i / divisions).ToList());
}
