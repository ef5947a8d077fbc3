namespace Parley.Tests.Infrastructure;

// The settings every test server starts from, in-process or as a separate process: a database of its own, a
// cheap password hash, and a demo model fast enough that a reply takes a fraction of a second.
public static class TestSettings
{
    // `database` is the SQLite file, or on the PostgreSQL tier the connection string of the host's own database.
    public static Dictionary<string, string?> Fast(string database) => new()
    {
#if POSTGRES
        ["ConnectionStrings:Parley"] = database,
        // A restarted node is a new owner: it takes over its predecessor's replies once their leases lapse.
        ["Parley:Generation:LeaseSeconds"] = "4",
#else
        ["ConnectionStrings:Parley"] = $"Data Source={database}",
#endif
        ["Parley:Auth:PasswordIterations"] = "10000",
        ["Parley:Demo:FirstTokenDelayMs"] = "20",
        ["Parley:Demo:TokensPerSecond"] = "400",
        ["Parley:Demo:ReplyTokens"] = "40",
        ["Parley:Generation:PollIntervalMs"] = "200",
        ["Parley:Generation:ShutdownGraceSeconds"] = "1",
        ["Parley:Streaming:FlushIntervalMs"] = "20",
        // Tests send faster than a person; the limits have tests of their own.
        ["Parley:Limits:SendsPerMinute"] = "100000",
        ["Parley:Limits:MaxConcurrentReplies"] = "100",
    };
}
