namespace Parley.Bench.Load;

// Reads the server process's resident memory before and during a step, from /proc (its CPU is CoreMeter's).
internal sealed class ServerMonitor(ServerProcess server) : IDisposable
{
    private long _peak;
    private Timer? _sampler;

    public double IdleRssMiB { get; private set; }

    // Called once the machine is quiet (Quiet.WaitAsync).
    public void Begin()
    {
        IdleRssMiB = server.ResidentBytes() / 1048576.0;
        _peak = 0;
        _sampler = new Timer(_ => _peak = Math.Max(_peak, server.ResidentBytes()), null, 0, 100);
    }

    // The peak resident memory in MiB.
    public double End()
    {
        _sampler?.Dispose();
        _sampler = null;
        return Math.Max(_peak, server.ResidentBytes()) / 1048576.0;
    }

    public void Dispose() => _sampler?.Dispose();
}
