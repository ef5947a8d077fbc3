using Parley.Tests.Infrastructure;

namespace Parley.Bench.Load;

// The throwaway PostgreSQL cluster the chat scenario runs on when --db includes postgres: the tests' own
// PostgresCluster (initdb and pg_ctl on a free port, removed when the bench exits), one database per server.
internal static class PostgresForBench
{
    public static string CreateDatabase() => PostgresCluster.Shared.CreateDatabase();
}
