namespace Parley.Bench.Load;

// Reads the server process's CPU time and resident memory around and during a step, from /proc.
internal sealed class ServerMonitor(ServerProcess server) : IDisposable
{
    // The server counts as quiet when it used less than this much CPU in the last second.
    private static readonly TimeSpan QuietCpuPerSecond = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MostWaitForQuiet = TimeSpan.FromSeconds(30);

    private TimeSpan _cpuAtStart;
    private long _peak;
    private Timer? _sampler;

    public double IdleRssMiB { get; private set; }

    public async Task BeginAsync()
    {
        // Quiet after the warm-up or the previous step, so that neither the idle figure nor the step's CPU is the
        // tail of earlier load: the runtime recompiles hot methods in the background (tiered JIT), and under load
        // that backlog drains only once the load stops. At one chat reply it was 40% of the samples.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var before = server.CpuTime();
        while (true)
        {
            await Task.Delay(1000);
            var now = server.CpuTime();
            if (now - before < QuietCpuPerSecond || waited.Elapsed > MostWaitForQuiet) break;
            before = now;
        }
        IdleRssMiB = server.ResidentBytes() / 1048576.0;
        _peak = 0;
        _cpuAtStart = server.CpuTime();
        _sampler = new Timer(_ => _peak = Math.Max(_peak, server.ResidentBytes()), null, 0, 100);
    }

    public (double CpuSeconds, double PeakRssMiB) End()
    {
        _sampler?.Dispose();
        _sampler = null;
        return ((server.CpuTime() - _cpuAtStart).TotalSeconds, Math.Max(_peak, server.ResidentBytes()) / 1048576.0);
    }

    public void Dispose() => _sampler?.Dispose();
}
