namespace Parley.Bench.Load;

// CPU time from /proc, in clock ticks of 1/100 s: a process's own (user and kernel), and the whole machine's.
// A step's figures say where the cores went: the load client, FakeLlm, Parley, and the rest (PostgreSQL, the
// kernel's own threads, anything else on the machine), and how much of it was the kernel's.
internal readonly record struct CpuTicks(long User, long Kernel)
{
    public const double PerSecond = 100;

    public long Total => User + Kernel;

    public static CpuTicks operator -(CpuTicks a, CpuTicks b) => new(a.User - b.User, a.Kernel - b.Kernel);

    // utime and stime of /proc/<pid>/stat; "self" is this process.
    public static CpuTicks OfProcess(string pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // Fields after the command name, which is in parentheses and may contain spaces.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return new CpuTicks(long.Parse(fields[11]), long.Parse(fields[12]));
    }

    // The first line of /proc/stat: user, nice, system, idle, iowait, irq, softirq, steal. Idle, iowait and
    // steal are time the machine's cores did not run its work.
    public static CpuTicks OfMachine()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long Field(int i) => long.Parse(fields[i]);
        return new CpuTicks(Field(1) + Field(2), Field(3) + Field(6) + Field(7));
    }
}
