using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Parley.Bench.Load;
using Parley.Bench.Report;

namespace Parley.Bench.Scenarios;

// The two benchmarks of size rather than load: send→first token in a long session against a short one, and
// listing sessions for a user who has very many. Both run on SQLite, one request at a time.
internal static class SingleUserBenchmarks
{
    public static async Task<HistoryResult> LongHistoryAsync(ServerProcess server, BenchClient client, string model, BenchOptions options)
    {
        var shortSession = await client.CreateSessionAsync(model);
        var longSession = await client.CreateSessionAsync(model);
        // One real turn in each, so that the seeded rows copy the server's own; the short one gets 5 turns in all.
        foreach (var session in new[] { shortSession, longSession })
        {
            var id = await client.SendAsync(session, "first");
            await client.StreamAsync(id, Stopwatch.StartNew());
        }
        Seeder.AddTurns(server.SqlitePath!, shortSession, 4);
        Seeder.AddTurns(server.SqlitePath!, longSession, options.HistoryMessages / 2 - 1);

        var sizes = await Task.WhenAll(new[] { shortSession, longSession }.Select(async s =>
            (await client.Http.GetFromJsonAsync<JsonElement>($"/api/sessions/{s}")).GetProperty("messageCount").GetInt32()));

        // Alternating samples, so that any drift of the machine affects both alike.
        var shortMs = new List<double>();
        var longMs = new List<double>();
        for (var i = 0; i < options.Samples; i++)
        {
            foreach (var (session, samples) in new[] { (shortSession, shortMs), (longSession, longMs) })
            {
                var clock = Stopwatch.StartNew();
                var id = await client.SendAsync(session, $"how long is this conversation? {i}");
                var (first, _) = await client.StreamAsync(id, clock);
                samples.Add(first.TotalMilliseconds);
            }
        }
        return new HistoryResult(sizes[0], sizes[1], Percentiles.Of(shortMs), Percentiles.Of(longMs));
    }

    public static async Task<SessionListResult> SessionListAsync(ServerProcess server, BenchClient client, string model, BenchOptions options)
    {
        var template = await client.CreateSessionAsync(model);
        Seeder.AddSessions(server.SqlitePath!, template, options.ListSessions - 1);
        var first = new List<double>();
        var deep = new List<double>();
        string? cursor = null;
        // A p99 needs far more samples than a median: at 200 it was the second-slowest request, so one collection
        // or one descheduling of the client decided it. Each sample takes a few milliseconds, so the list takes
        // 25 per --samples (1,000 by default), after a warm-up that is not counted (the first requests compile
        // the queries and the serializers).
        for (var i = 0; i < 20; i++)
        {
            var top = await client.Http.GetFromJsonAsync<JsonElement>("/api/sessions?limit=50");
            await client.Http.GetStringAsync($"/api/sessions?limit=50&cursor={Uri.EscapeDataString(top.GetProperty("nextCursor").GetString()!)}");
        }
        for (var i = 0; i < options.Samples * 25; i++)
        {
            var clock = Stopwatch.StartNew();
            var page = await client.Http.GetFromJsonAsync<JsonElement>("/api/sessions?limit=50");
            first.Add(clock.Elapsed.TotalMilliseconds);
            // Walk down the list a page per sample, to time pages far from the top too.
            cursor ??= page.GetProperty("nextCursor").GetString();
            clock.Restart();
            var next = await client.Http.GetFromJsonAsync<JsonElement>($"/api/sessions?limit=50&cursor={Uri.EscapeDataString(cursor!)}");
            deep.Add(clock.Elapsed.TotalMilliseconds);
            cursor = next.GetProperty("nextCursor").GetString();
        }
        return new SessionListResult(options.ListSessions, Percentiles.Of(first), Percentiles.Of(deep));
    }
}
