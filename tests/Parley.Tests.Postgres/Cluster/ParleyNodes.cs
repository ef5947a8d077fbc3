using Parley.Tests.Durability;
using Parley.Tests.Infrastructure;
using Parley.Tests.Messages;

namespace Parley.Tests.Cluster;

// Several Parley processes on loopback ports sharing one PostgreSQL database: a cluster as an operator runs it,
// minus the load balancer. Each node is a real process, so a test can kill one for real.
public sealed class ParleyNodes : IAsyncDisposable
{
    private ParleyNodes(string database, List<ParleyProcess> nodes)
    {
        Database = database;
        Nodes = nodes;
        Db = new ParleyDatabase(database);
    }

    public string Database { get; }

    public List<ParleyProcess> Nodes { get; }

    public ParleyDatabase Db { get; }

    public ParleyProcess this[int index] => Nodes[index];

    // Starts the nodes at once, as a deployment does: one migrates the database while the others wait for its
    // migration lock. `perNode` adds settings to one node, its roles for instance.
    public static async Task<ParleyNodes> StartAsync(int count, IDictionary<string, string?>? settings = null,
        Func<int, IDictionary<string, string?>>? perNode = null)
    {
        var database = PostgresCluster.Shared.CreateDatabase();
        var starts = Enumerable.Range(0, count).Select(i =>
        {
            var nodeSettings = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
            {
                ["ConnectionStrings:Parley"] = database,
            };
            foreach (var (key, value) in perNode?.Invoke(i) ?? new Dictionary<string, string?>()) nodeSettings[key] = value;
            return ParleyProcess.StartAsync(nodeSettings);
        }).ToList();
        try
        {
            return new ParleyNodes(database, [.. await Task.WhenAll(starts)]);
        }
        catch
        {
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully)) await start.Result.DisposeAsync();
            PostgresCluster.Shared.DropDatabase(database);
            throw;
        }
    }

    // The node that made each claim of a reply, in order (reply_attempts keeps one row per claim).
    public async Task<List<ParleyProcess>> ClaimsAsync(string replyId)
    {
        var rows = await Db.RowsAsync("SELECT node_id FROM reply_attempts WHERE message_id = @m ORDER BY claimed_at, attempt", ("@m", replyId));
        return rows.Select(r => NodeOf((string)r[0]!)).ToList();
    }

    // The node generating a reply, once one has claimed it.
    public async Task<ParleyProcess> GeneratorAsync(string replyId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var claims = await ClaimsAsync(replyId);
            if (claims.Count > 0) return claims[^1];
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No node claimed reply {replyId}.");
            await Task.Delay(20);
        }
    }

    // Node ids are "<machine>/<pid>/<random>"; the pid names the process (a killed one keeps its pid here).
    public ParleyProcess NodeOf(string nodeId)
    {
        var pid = int.Parse(nodeId.Split('/')[1]);
        return Nodes.Single(n => n.ProcessId == pid);
    }

    // The warnings and errors every node logged, for failure messages.
    public string Problems() => string.Join('\n', Nodes.Select((node, i) =>
        $"--- node {i} ---\n" + string.Join('\n', node.Output.Split('\n').Where(line => line.StartsWith("warn") || line.StartsWith("fail") || line.StartsWith("stderr")
            || line.StartsWith("      ") || line.Contains("Exception")).Take(60))));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes) await node.DisposeAsync();
        PostgresCluster.Shared.DropDatabase(Database);
    }
}
