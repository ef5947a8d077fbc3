namespace Parley.Server.Storage;

// SQLite allows one writer at a time. Writers that collide wait in SQLite's busy handler, which sleeps in
// growing steps (up to 100 ms) between tries; under many concurrent replies that sleep, not the work, set the
// latency of sends. The gate queues this process's hot write transactions (event batches, reply state,
// sends, job claims) in memory instead, so each starts the moment the previous one commits.
// On PostgreSQL, which has row locks and many writers, the gate is open.
internal sealed class WriteGate(DatabaseTarget target)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly bool _enabled = target.Kind == DatabaseKind.Sqlite;

    public async ValueTask<Releaser> EnterAsync(CancellationToken ct)
    {
        if (!_enabled) return default;
        await _gate.WaitAsync(ct);
        return new Releaser(_gate);
    }

    internal readonly struct Releaser(SemaphoreSlim? gate) : IDisposable
    {
        public void Dispose() => gate?.Release();
    }
}
