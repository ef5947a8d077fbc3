namespace Parley.Server.Messages;

// One send (or regeneration) of a user at a time on this node. Sends of one user are ordered anyway: on
// PostgreSQL by the per-user advisory lock (UserLimits.PostgresLock) taken inside the send's
// transaction, on SQLite by the WriteGate. But each send waiting for that lock would hold a pooled connection and
// an open transaction while it waits, so a burst of one user's sends (one API key driving a hundred
// conversations) took the whole connection pool and starved the writers of every reply on the node (measured
// with bench/Parley.Bench: no stream completed at 100 concurrent replies). Here they wait in memory instead.
internal sealed class UserSendGate
{
    private readonly Dictionary<string, Gate> _gates = new(StringComparer.Ordinal);

    public async Task<IDisposable> EnterAsync(string userId, CancellationToken ct)
    {
        Gate gate;
        lock (_gates)
        {
            if (!_gates.TryGetValue(userId, out gate!)) _gates[userId] = gate = new Gate();
            gate.Users++;
        }
        try
        {
            await gate.Semaphore.WaitAsync(ct);
        }
        catch
        {
            Leave(userId, gate);
            throw;
        }
        return new Releaser(this, userId, gate);
    }

    private void Leave(string userId, Gate gate)
    {
        lock (_gates)
        {
            if (--gate.Users == 0) _gates.Remove(userId);
        }
    }

    private sealed class Gate
    {
        public readonly SemaphoreSlim Semaphore = new(1, 1);
        public int Users;
    }

    private sealed class Releaser(UserSendGate owner, string userId, Gate gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            gate.Semaphore.Release();
            owner.Leave(userId, gate);
        }
    }
}
