using System.Diagnostics;

namespace Parley.Bench.Load;

// Where the machine's cores went during a step, in cores (CPU-seconds per second): all of the machine's busy
// time and the kernel's share of it, and that of the load client (this process), FakeLlm and Parley. Other is
// the rest: PostgreSQL's processes, the kernel's own threads and anything else running.
internal sealed record CoreUse(double Busy, double Kernel, double Client, double? FakeLlm, double? Parley, double? ParleyKernel)
{
    // Ticks are read at slightly different moments, so a machine with nothing else running can read a hair below 0.
    public double Other => Math.Max(0, Busy - Client - (FakeLlm ?? 0) - (Parley ?? 0));
}

internal sealed class CoreMeter
{
    private readonly ServerProcess? _upstream;
    private readonly ServerProcess? _server;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CpuTicks _machine = CpuTicks.OfMachine();
    private readonly CpuTicks _client = CpuTicks.OfProcess("self");
    private readonly CpuTicks? _upstreamAtStart;
    private readonly CpuTicks? _serverAtStart;

    public CoreMeter(ServerProcess? upstream, ServerProcess? server)
    {
        _upstream = upstream;
        _server = server;
        _upstreamAtStart = upstream?.CpuTicks();
        _serverAtStart = server?.CpuTicks();
    }

    public CoreUse Stop()
    {
        var seconds = _clock.Elapsed.TotalSeconds;
        double Cores(long ticks) => ticks / CpuTicks.PerSecond / seconds;
        var machine = CpuTicks.OfMachine() - _machine;
        var server = _server is null ? (CpuTicks?)null : _server.CpuTicks() - _serverAtStart!.Value;
        return new CoreUse(
            Cores(machine.Total),
            Cores(machine.Kernel),
            Cores((CpuTicks.OfProcess("self") - _client).Total),
            _upstream is null ? null : Cores((_upstream.CpuTicks() - _upstreamAtStart!.Value).Total),
            server is { } s1 ? Cores(s1.Total) : null,
            server is { } s2 ? Cores(s2.Kernel) : null);
    }
}
