using System.Globalization;
using System.Text;
using Parley.Bench.Load;

namespace Parley.Bench.Report;

// The summary printed at the end, as a Markdown table that can be pasted into docs/BENCHMARKS.md.
internal static class SummaryTable
{
    public static string Render(BenchResults results)
    {
        var text = new StringBuilder();
        text.AppendLine("| scenario | streams | ttft p50 / p95 / p99 ms | added ttft p50 / p99 ms | token latency p99 µs | added p99 µs | gap p99 ms | stalls | errors | CPU s / 1k tokens | FakeLlm CPU s / 1k tokens | RSS idle → peak MiB | KiB / stream | cores busy: client + FakeLlm + Parley + other (kernel) |");
        text.AppendLine("| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |");
        foreach (var s in results.Steps)
        {
            text.AppendLine(string.Join(" | ",
                "| " + s.Scenario,
                s.Concurrency,
                $"{F(s.TimeToFirstTokenMs.P50)} / {F(s.TimeToFirstTokenMs.P95)} / {F(s.TimeToFirstTokenMs.P99)}",
                s.AddedTimeToFirstTokenMs is { } added ? $"{F(added.P50)} / {F(added.P99)}" : "–",
                F(s.TokenLatencyUs.P99, "0"),
                s.AddedTokenLatencyUs is { } addedToken ? F(addedToken.P99, "0") : "–",
                F(s.GapMs.P99),
                s.Stalls,
                s.Errors,
                s.ServerCpuSecondsPer1000Tokens is { } cpu ? F(cpu, "0.000") : "–",
                s.FakeLlmCpuSecondsPer1000Tokens is { } fakeCpu ? F(fakeCpu, "0.000") : "–",
                s.ServerIdleRssMiB is { } idle ? $"{F(idle, "0")} → {F(s.ServerPeakRssMiB!.Value, "0")}" : "–",
                s.ServerKiBPerStream is { } perStream ? F(perStream, "0") : "–",
                Cores(s.Cores) + " |"));
        }
        text.AppendLine();
        AppendChatPhases(text, results);
        AppendInterleaved(text, results);
        foreach (var scenario in results.Steps.Select(s => s.Scenario).Distinct())
        {
            text.AppendLine($"Most concurrent streams with no stall, {scenario}: {results.MostStreamsWithoutStall(scenario)?.ToString(CultureInfo.InvariantCulture) ?? "none"}");
        }
        foreach (var scenario in results.Steps.Select(s => s.Scenario).Distinct())
        {
            if (results.KiBPerStreamFitted(scenario) is { } slope)
            {
                text.AppendLine($"Parley's memory per active stream, {scenario}: {F(slope, "0")} KiB (slope of peak − idle RSS against streams, over the steps)");
            }
        }
        if (results.History is { } h)
        {
            text.AppendLine($"\nLong history: send→first token p50 / p95 {F(h.ShortMs.P50)} / {F(h.ShortMs.P95)} ms with {h.ShortMessages} messages, " +
                $"{F(h.LongMs.P50)} / {F(h.LongMs.P95)} ms with {h.LongMessages} messages: {F(h.RatioP50, "0.00")}×.");
        }
        if (results.SessionList is { } l)
        {
            text.AppendLine($"\nSession list, {l.Sessions} sessions: first page p50 / p99 {F(l.FirstPageMs.P50)} / {F(l.FirstPageMs.P99)} ms; " +
                $"deeper pages p50 / p99 {F(l.DeepPageMs.P50)} / {F(l.DeepPageMs.P99)} ms.");
        }
        return text.ToString();
    }

    // Chat's time to first token in its three parts, a table of its own.
    private static void AppendChatPhases(StringBuilder text, BenchResults results)
    {
        var chat = results.Steps.Where(s => s.Phases is not null).ToList();
        if (chat.Count == 0) return;
        text.AppendLine("| chat turn | replies | send's response p50 / p99 ms | then the stream's headers p50 / p99 ms | then the first token p50 / p99 ms |");
        text.AppendLine("| --- | ---: | --- | --- | --- |");
        foreach (var s in chat)
        {
            var p = s.Phases!;
            text.AppendLine($"| {s.Scenario} | {s.Concurrency} | {F(p.SendMs.P50)} / {F(p.SendMs.P99)} | {F(p.StreamOpenMs.P50)} / {F(p.StreamOpenMs.P99)} | " +
                $"{F(p.FirstTokenWaitMs.P50)} / {F(p.FirstTokenWaitMs.P99)} |");
        }
        text.AppendLine();
    }

    // The interleaved scenario's latency per token, both paths and the difference at each percentile: the relay's
    // added latency against a floor read over the same seconds.
    private static void AppendInterleaved(StringBuilder text, BenchResults results)
    {
        var relayed = results.Steps.Where(s => s.Scenario == "interleaved-relay").ToList();
        if (relayed.Count == 0) return;
        text.AppendLine("| interleaved | streams | direct per token p50 / p95 / p99 µs | relay per token p50 / p95 / p99 µs | added p50 / p95 / p99 µs | added ttft p50 / p99 ms |");
        text.AppendLine("| --- | ---: | --- | --- | --- | --- |");
        foreach (var relay in relayed)
        {
            var direct = results.Steps.FirstOrDefault(s => s.Scenario == "interleaved-direct" && s.Concurrency == relay.Concurrency);
            if (direct is null || relay.AddedTokenLatencyUs is not { } added) continue;
            static string Three(Percentiles p) => $"{F(p.P50, "0")} / {F(p.P95, "0")} / {F(p.P99, "0")}";
            text.AppendLine($"| relay against direct | {relay.Concurrency} | {Three(direct.TokenLatencyUs)} | {Three(relay.TokenLatencyUs)} | {Three(added)} | " +
                $"{F(relay.AddedTimeToFirstTokenMs!.P50)} / {F(relay.AddedTimeToFirstTokenMs.P99)} |");
        }
        text.AppendLine();
    }

    // e.g. "1.96: 0.41 + 0.55 + 0.98 + 0.02 (1.01)", of the machine's Environment.ProcessorCount.
    public static string Cores(CoreUse? c) => c is null ? "–" :
        $"{F(c.Busy, "0.00")}: {F(c.Client, "0.00")} + {(c.FakeLlm is { } f ? F(f, "0.00") : "–")} + {(c.Parley is { } p ? F(p, "0.00") : "–")} + {F(c.Other, "0.00")} ({F(c.Kernel, "0.00")})";

    private static string F(double value, string format = "0.0") =>
        double.IsNaN(value) ? "–" : value.ToString(format, CultureInfo.InvariantCulture);
}
