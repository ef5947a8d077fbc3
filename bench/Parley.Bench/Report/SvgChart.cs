using System.Globalization;
using System.Text;

namespace Parley.Bench.Report;

// A self-contained SVG of latency and stalls against concurrency: one panel each for time to first token p99,
// per-token latency p99, stalls and the machine's busy cores, one line per scenario, concurrency steps evenly
// spaced on the x axis.
internal static class SvgChart
{
    private const int Width = 900;
    private const int PanelHeight = 220;
    private const int Left = 70;
    private const int Right = 170;
    private const int Top = 40;
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

    public static string Render(BenchResults results)
    {
        // The interleaved scenario's steps are read in the tables: its lines would lie on direct's and relay's.
        var charted = results.Steps.Where(s => !s.Scenario.StartsWith("interleaved-", StringComparison.Ordinal)).ToList();
        var scenarios = charted.Select(s => s.Scenario).Distinct().ToList();
        var steps = charted.Select(s => s.Concurrency).Distinct().Order().ToList();
        // The machine the run was on ("2 cores, …"), which a chart drawn again elsewhere keeps.
        var machineCores = int.TryParse(results.Machine.Split(' ')[0], CultureInfo.InvariantCulture, out var count) ? count : Environment.ProcessorCount;
        var cores = Math.Max(machineCores, Math.Ceiling(charted.Select(s => s.Cores?.Busy ?? 0).DefaultIfEmpty(0).Max()));
        (string Title, string Unit, Func<StepResult, double> Value, Func<IReadOnlyCollection<double>, ChartAxis> Axis)[] panels =
        [
            ("Time to first token, p99", "ms, logarithmic", s => s.TimeToFirstTokenMs.P99, ChartAxis.Logarithmic),
            ("Latency per token, p99 (FakeLlm send stamp → client)", "µs, logarithmic", s => s.TokenLatencyUs.P99, ChartAxis.Logarithmic),
            ("Stalls (gaps over 3× the token interval)", "count, logarithmic", s => s.Stalls, ChartAxis.LogarithmicFromZero),
            ($"Cores busy, of the machine's {machineCores} (client, FakeLlm, Parley and the rest)", "cores", s => s.Cores?.Busy ?? double.NaN,
                _ => ChartAxis.Linear(cores, (int)cores * 2)),
        ];
        var height = Top + panels.Length * (PanelHeight + 60);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" font-family="sans-serif" font-size="12">""");
        svg.Append(CultureInfo.InvariantCulture, $"""<rect width="{Width}" height="{height}" fill="white"/>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left}" y="22" font-size="15">Parley.Bench {results.StartedAt:yyyy-MM-dd HH:mm} UTC — {Escape(results.Machine)}</text>""");

        for (var p = 0; p < panels.Length; p++)
        {
            var (title, unit, value, axisFor) = panels[p];
            var top = Top + p * (PanelHeight + 60) + 20;
            var plotWidth = Width - Left - Right;
            var points = charted.Where(s => !double.IsNaN(value(s))).ToList();
            var axis = axisFor(points.Select(value).ToList());
            double X(int concurrency) => Left + (steps.Count == 1 ? plotWidth / 2.0 : steps.IndexOf(concurrency) * plotWidth / (double)(steps.Count - 1));
            double Y(double v) => top + PanelHeight - axis.Fraction(v) * PanelHeight;

            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left}" y="{top - 8}" font-size="13">{Escape(title)} ({unit})</text>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{Left}" y="{top}" width="{plotWidth}" height="{PanelHeight}" fill="none" stroke="#999"/>""");
            foreach (var v in axis.Ticks)
            {
                svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{Left}" x2="{Left + plotWidth}" y1="{Y(v):0.#}" y2="{Y(v):0.#}" stroke="#eee"/>""");
                svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left - 6}" y="{Y(v) + 4:0.#}" text-anchor="end">{ChartAxis.Label(v)}</text>""");
            }
            foreach (var step in steps)
            {
                svg.Append(CultureInfo.InvariantCulture, $"""<text x="{X(step):0.#}" y="{top + PanelHeight + 16}" text-anchor="middle">{step}</text>""");
            }
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left + plotWidth / 2}" y="{top + PanelHeight + 34}" text-anchor="middle">concurrent streams</text>""");

            for (var i = 0; i < scenarios.Count; i++)
            {
                var color = Colors[i % Colors.Length];
                var line = points.Where(s => s.Scenario == scenarios[i]).OrderBy(s => s.Concurrency).ToList();
                if (line.Count == 0) continue;
                var path = string.Join(" ", line.Select(s => string.Create(CultureInfo.InvariantCulture, $"{X(s.Concurrency):0.#},{Y(value(s)):0.#}")));
                svg.Append(CultureInfo.InvariantCulture, $"""<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>""");
                foreach (var s in line)
                {
                    svg.Append(CultureInfo.InvariantCulture, $"""<circle cx="{X(s.Concurrency):0.#}" cy="{Y(value(s)):0.#}" r="3" fill="{color}"><title>{Escape(s.Scenario)} @ {s.Concurrency}: {value(s):0.##} {unit}</title></circle>""");
                }
                svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{Width - Right + 15}" y="{top + 10 + i * 18}" width="12" height="12" fill="{color}"/>""");
                svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Width - Right + 32}" y="{top + 20 + i * 18}">{Escape(scenarios[i])}</text>""");
            }
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string Escape(string text) => System.Security.SecurityElement.Escape(text) ?? "";
}
