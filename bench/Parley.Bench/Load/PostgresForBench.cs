namespace Parley.Bench.Load;

// The throwaway PostgreSQL cluster the chat scenario runs on when --db includes postgres.
internal static class PostgresForBench
{
    public static string CreateDatabase() =>
        throw new NotSupportedException("This build of the bench has no PostgreSQL support yet.");
}
