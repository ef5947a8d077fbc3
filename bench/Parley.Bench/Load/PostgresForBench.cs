using Npgsql;
using Parley.Tests.Infrastructure;

namespace Parley.Bench.Load;

// The throwaway PostgreSQL cluster the chat scenario runs on when --db includes postgres: the tests' own
// PostgresCluster (initdb and pg_ctl on a free port, removed when the bench exits), one database per server.
// The server gets Npgsql's default pool of 100 connections, as a deployment would, not the tests' smaller one.
internal static class PostgresForBench
{
    public static string CreateDatabase() =>
        new NpgsqlConnectionStringBuilder(PostgresCluster.Shared.CreateDatabase()) { MaxPoolSize = 100 }.ToString();
}
