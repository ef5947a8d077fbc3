namespace Parley.Bench.Load;

// Reads the server process's CPU time and resident memory around and during a step, from /proc.
internal sealed class ServerMonitor(ServerProcess server) : IDisposable
{
    private TimeSpan _cpuAtStart;
    private long _peak;
    private Timer? _sampler;

    public double IdleRssMiB { get; private set; }

    // Called once the machine is quiet (Quiet.WaitAsync).
    public void Begin()
    {
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
