using System.Diagnostics;

namespace Parley.Bench.Load;

// Waits for quiet before a step, so that neither its idle figures nor its CPU and latency carry the tail of the
// warm-up or of the step before: the runtime recompiles hot methods in the background (tiered JIT), and under
// load that backlog drains only once the load stops. At one chat reply it was 40% of Parley's samples.
internal static class Quiet
{
    // A process is quiet when it used less than this much CPU in the last second.
    private static readonly TimeSpan CpuPerSecond = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MostWait = TimeSpan.FromSeconds(30);

    // Parley, FakeLlm and the bench's own process (the load client), whichever take part.
    public static async Task WaitAsync(params ServerProcess?[] servers)
    {
        using var self = Process.GetCurrentProcess();
        var clocks = servers.OfType<ServerProcess>().Select(s => (Func<TimeSpan>)s.CpuTime)
            .Append(() => { self.Refresh(); return self.TotalProcessorTime; })
            .ToList();
        var waited = Stopwatch.StartNew();
        var before = clocks.Select(clock => clock()).ToList();
        while (true)
        {
            await Task.Delay(1000);
            var now = clocks.Select(clock => clock()).ToList();
            if (now.Zip(before).All(cpu => cpu.First - cpu.Second < CpuPerSecond) || waited.Elapsed > MostWait) return;
            before = now;
        }
    }
}
