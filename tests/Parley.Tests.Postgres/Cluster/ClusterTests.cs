using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Parley.Tests.Durability;
using Parley.Tests.Infrastructure;
using Parley.Tests.Messages;
using Parley.Tests.Realtime;
using Xunit.Abstractions;

namespace Parley.Tests.Cluster;

// SPEC §11.5 with real processes: several Parley nodes on loopback ports and one PostgreSQL, no sticky sessions.
// Any node streams any reply, a killed node's replies are taken over, a cancel on any node stops the reply
// where it is generated, work spreads over the nodes and runs once, and a dropped LISTEN connection loses nothing.
[Collection(DurabilityCollection.Name)]
public sealed class ClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_reply_sent_through_one_node_streams_live_through_every_node_identical_to_the_stored_content()
    {
        // 120 tokens at 40/s: three seconds of live stream.
        await using var cluster = await ParleyNodes.StartAsync(3, new Dictionary<string, string?>
        {
            ["Parley:Demo:TokensPerSecond"] = "40",
            ["Parley:Demo:ReplyTokens"] = "120",
        });
        var key = await cluster[0].SignUpAsync();
        using var viaA = cluster[0].NewClient(key);
        var session = await viaA.CreateSessionAsync();
        var (_, reply) = await viaA.SendAsync(session.Str("id"), "Stream me through every node");
        var replyId = reply.Str("id");

        // One reader per node, all from the start, each noting when every event reached it.
        var clock = Stopwatch.StartNew();
        var readers = cluster.Nodes.Select(node => ReadTimedAsync(node.NewClient(key), replyId, clock)).ToList();
        var streams = await Task.WhenAll(readers);

        var stored = await cluster[1].NewClient(key).GetAsync($"/api/messages/{replyId}");
        Assert.Equal("complete", stored.Str("status"));
        foreach (var events in streams)
        {
            var numbered = ReplyChecks.Numbered(events.Select(e => e.Event));
            ReplyChecks.AssertContiguous(numbered, 1);
            ReplyChecks.AssertEndsWithDone(numbered, "complete");
            Assert.Equal(stored.Str("content"), ReplyChecks.TextAfterLastReset(numbered));
        }

        // The extra delay of a node that learns of events through NOTIFY, against the node that wrote them.
        var claims = await cluster.ClaimsAsync(replyId);
        var generator = Assert.Single(claims);
        var local = streams[cluster.Nodes.IndexOf(generator)].Where(e => e.Event.Id is not null).ToDictionary(e => e.Event.Seq, e => e.At);
        var delays = streams.Where((_, i) => cluster.Nodes[i] != generator)
            .SelectMany(s => s.Where(e => e.Event.Id is not null && e.Event.Event == "delta").Select(e => (e.At - local[e.Event.Seq]).TotalMilliseconds))
            .Order()
            .ToList();
        var median = delays[delays.Count / 2];
        var p95 = delays[(int)(delays.Count * 0.95)];
        output.WriteLine($"Cross-node extra delay over {delays.Count} deltas: median {median:0.0} ms, p95 {p95:0.0} ms, max {delays[^1]:0.0} ms");
        Assert.True(median < 250, $"The median extra delay of a remote reader was {median:0} ms.");
    }

    [Fact]
    public async Task Killing_the_generating_node_hands_the_reply_to_another_node_within_the_lease_and_readers_elsewhere_see_reset_then_the_whole_reply()
    {
        const int leaseSeconds = 3;
        await using var cluster = await ParleyNodes.StartAsync(3, new Dictionary<string, string?>
        {
            ["Parley:Demo:TokensPerSecond"] = "30",
            ["Parley:Demo:ReplyTokens"] = "150",
            ["Parley:Generation:LeaseSeconds"] = leaseSeconds.ToString(),
        });
        var key = await cluster[0].SignUpAsync();
        using var viaA = cluster[0].NewClient(key);
        var session = await viaA.CreateSessionAsync();
        var (_, reply) = await viaA.SendAsync(session.Str("id"), "Survive the loss of the node that writes me");
        var replyId = reply.Str("id");

        var generator = await cluster.GeneratorAsync(replyId, Patience);
        var survivor = cluster.Nodes.First(n => n != generator);
        using var reader = survivor.NewClient(key);
        using var cts = new CancellationTokenSource(Patience);
        await using var stream = await SseReader.OpenAsync(reader, replyId, cts.Token);
        var seen = new List<SseEvent>();
        while (seen.Count(e => e.Event == "delta") < 10) seen.Add(await stream.NextAsync(cts.Token) ?? throw new InvalidOperationException("The stream ended early."));

        var killedAt = DateTime.UtcNow;
        await generator.KillHardAsync();
        await stream.NextNamedAsync("reset", seen, cts.Token);
        var resetSeen = DateTime.UtcNow - killedAt;
        await stream.NextNamedAsync("done", seen, cts.Token);

        // The survivor's claim is stamped with the time it was made (the same machine's clock as the kill).
        var claimedAt = (DateTime)(await cluster.Db.ScalarAsync("SELECT MAX(claimed_at) FROM reply_attempts WHERE message_id = @m", ("@m", replyId)))!;
        var takeover = claimedAt.ToUniversalTime() - killedAt;
        output.WriteLine($"Taken over {takeover.TotalMilliseconds:0} ms after the kill (lease {leaseSeconds} s); the reader saw the reset after {resetSeen.TotalMilliseconds:0} ms.");
        Assert.True(takeover < TimeSpan.FromSeconds(leaseSeconds + 1), $"The takeover took {takeover.TotalSeconds:0.0} s.");

        var numbered = ReplyChecks.Numbered(seen);
        ReplyChecks.AssertContiguous(numbered, 1);
        Assert.Single(numbered, e => e.Event == "reset");
        ReplyChecks.AssertEndsWithDone(numbered, "complete");
        var stored = await survivor.NewClient(key).GetAsync($"/api/messages/{replyId}");
        Assert.Equal("complete", stored.Str("status"));
        Assert.Equal(stored.Str("content"), ReplyChecks.TextAfterLastReset(numbered));

        // Two claims: the killed node's, then a survivor's, which alone wrote everything after the reset.
        var claims = await cluster.ClaimsAsync(replyId);
        Assert.Equal(2, claims.Count);
        Assert.Equal(generator, claims[0]);
        Assert.NotEqual(generator, claims[1]);
        await ReplyChecks.AssertSettledAsync(cluster.Db, replyId);
    }

    [Fact]
    public async Task Cancel_through_a_node_that_is_not_generating_stops_the_reply_within_a_second()
    {
        await using var cluster = await ParleyNodes.StartAsync(3, new Dictionary<string, string?>
        {
            ["Parley:Demo:TokensPerSecond"] = "20",
            ["Parley:Demo:ReplyTokens"] = "400",
        });
        var key = await cluster[0].SignUpAsync();
        using var viaA = cluster[0].NewClient(key);
        var session = await viaA.CreateSessionAsync();
        var (_, reply) = await viaA.SendAsync(session.Str("id"), "Stop me from elsewhere");
        var replyId = reply.Str("id");
        var generator = await cluster.GeneratorAsync(replyId, Patience);
        var other = cluster.Nodes.First(n => n != generator);
        using var viaOther = other.NewClient(key);
        await Poll.UntilAsync(async () => (await viaOther.GetAsync($"/api/messages/{replyId}")).Str("status"), s => s == "generating", Patience, "the reply to start");
        await Task.Delay(300);

        var clock = Stopwatch.StartNew();
        await viaOther.PostAsync($"/api/messages/{replyId}/cancel", null, HttpStatusCode.Accepted);
        var ended = await viaOther.WaitForReplyAsync(replyId, Patience);
        var elapsed = clock.Elapsed;

        output.WriteLine($"Cancelled through another node in {elapsed.TotalMilliseconds:0} ms.");
        Assert.Equal("cancelled", ended.Str("status"));
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"The cancel took {elapsed.TotalMilliseconds:0} ms.");
        Assert.NotEmpty(ended.Str("content"));
        Assert.Single(await cluster.ClaimsAsync(replyId));
        await ReplyChecks.AssertSettledAsync(cluster.Db, replyId);
    }

    [Fact]
    public async Task Deleting_a_session_on_one_node_stops_its_reply_on_the_generating_node()
    {
        await using var cluster = await ParleyNodes.StartAsync(2, new Dictionary<string, string?>
        {
            ["Parley:Demo:TokensPerSecond"] = "20",
            ["Parley:Demo:ReplyTokens"] = "400",
        });
        var key = await cluster[0].SignUpAsync();
        using var viaA = cluster[0].NewClient(key);
        var session = await viaA.CreateSessionAsync();
        var (_, reply) = await viaA.SendAsync(session.Str("id"), "Delete me from elsewhere");
        var replyId = reply.Str("id");
        var generator = await cluster.GeneratorAsync(replyId, Patience);
        var other = cluster.Nodes.First(n => n != generator);
        // Streaming, not only claimed: a session deleted before its generator has loaded the reply leaves that
        // generator nothing to stop, and it ends without a word.
        await Poll.UntilAsync(() => cluster.Db.CountAsync("SELECT COUNT(*) FROM stream_events WHERE message_id = @m", ("@m", replyId)),
            n => n > 0, Patience, "the reply's first events");

        await other.NewClient(key).DeleteAsync($"/api/sessions/{session.Str("id")}");

        await generator.WaitForLogAsync("was removed, or taken over by another node", TimeSpan.FromSeconds(5));
        Assert.Equal(0, await cluster.Db.CountAsync("SELECT COUNT(*) FROM stream_events WHERE message_id = @m", ("@m", replyId)));
    }

    [Fact]
    public async Task Forty_concurrent_replies_spread_over_three_nodes_all_complete_and_each_job_runs_once()
    {
        await using var cluster = await ParleyNodes.StartAsync(3, new Dictionary<string, string?>
        {
            ["Parley:Demo:TokensPerSecond"] = "100",
            ["Parley:Demo:ReplyTokens"] = "60",
        });
        var keys = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => cluster[i % 3].SignUpAsync()));

        var sends = Enumerable.Range(0, 40).Select(async i =>
        {
            using var client = cluster[i % 3].NewClient(keys[i % keys.Length]);
            var session = await client.CreateSessionAsync();
            var (_, reply) = await client.SendAsync(session.Str("id"), $"Concurrent question {i}");
            return (Key: keys[i % keys.Length], Id: reply.Str("id"));
        });
        var replies = await Task.WhenAll(sends);

        foreach (var (replyKey, id) in replies)
        {
            using var client = cluster[2].NewClient(replyKey);
            Assert.Equal("complete", (await client.WaitForReplyAsync(id, Patience)).Str("status"));
        }
        var claims = await cluster.Db.RowsAsync("SELECT message_id, node_id FROM reply_attempts");
        Assert.True(claims.Count == 40, $"{claims.Count} claims for 40 replies.\n" + cluster.Problems());
        Assert.Equal(replies.Select(r => r.Id).Order(), claims.Select(c => (string)c[0]!).Order());
        var perNode = claims.GroupBy(c => cluster.NodeOf((string)c[1]!)).ToDictionary(g => cluster.Nodes.IndexOf(g.Key), g => g.Count());
        output.WriteLine("Replies per node: " + string.Join(", ", perNode.OrderBy(p => p.Key).Select(p => $"node {p.Key}: {p.Value}")));
        Assert.True(perNode.Count >= 2, "Every reply ran on one node.");
        Assert.Equal(0, await cluster.Db.CountAsync("SELECT COUNT(*) FROM reply_jobs"));
    }

    [Fact]
    public async Task Dropping_the_LISTEN_connections_loses_no_events_for_a_live_reader_on_another_node()
    {
        // An api-only node takes the send and serves the stream; a worker-only node generates.
        await using var cluster = await ParleyNodes.StartAsync(2, new Dictionary<string, string?>
        {
            ["Parley:Demo:TokensPerSecond"] = "30",
            ["Parley:Demo:ReplyTokens"] = "120",
        }, i => new Dictionary<string, string?> { ["Parley:Node:Roles"] = i == 0 ? "worker" : "api" });
        var (worker, api) = (cluster[0], cluster[1]);
        var key = await api.SignUpAsync();
        using var client = api.NewClient(key);
        var session = await client.CreateSessionAsync();
        var (_, reply) = await client.SendAsync(session.Str("id"), "Keep streaming while the notifications drop");
        var replyId = reply.Str("id");

        using var cts = new CancellationTokenSource(Patience);
        await using var stream = await SseReader.OpenAsync(client, replyId, cts.Token);
        var seen = new List<SseEvent>();
        while (seen.Count(e => e.Event == "delta") < 5) seen.Add(await stream.NextAsync(cts.Token) ?? throw new InvalidOperationException("The stream ended early."));

        var dropped = await cluster.Db.CountAsync(
            "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'parley-listener' AND datname = current_database()) t");
        Assert.Equal(2, dropped);
        await stream.NextNamedAsync("done", seen, cts.Token);

        var numbered = ReplyChecks.Numbered(seen);
        ReplyChecks.AssertContiguous(numbered, 1);
        ReplyChecks.AssertEndsWithDone(numbered, "complete");
        Assert.Equal((await client.GetAsync($"/api/messages/{replyId}")).Str("content"), ReplyChecks.TextAfterLastReset(numbered));
        await api.WaitForLogAsync("Listening to cluster notifications again", TimeSpan.FromSeconds(5));
        Assert.Equal(worker, Assert.Single(await cluster.ClaimsAsync(replyId)));
    }

    [Fact]
    public async Task Node_roles_an_api_node_never_generates_and_a_worker_node_serves_only_health()
    {
        await using var cluster = await ParleyNodes.StartAsync(2, null,
            i => new Dictionary<string, string?> { ["Parley:Node:Roles"] = i == 0 ? "api" : "worker" });
        var (api, worker) = (cluster[0], cluster[1]);
        var key = await api.SignUpAsync();

        using (var http = new HttpClient { BaseAddress = worker.BaseAddress })
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/me")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/")).StatusCode);
        }

        using var client = api.NewClient(key);
        var session = await client.CreateSessionAsync();
        var replies = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var (_, reply) = await client.SendAsync(session.Str("id"), $"Question {i}");
            replies.Add(reply.Str("id"));
            Assert.Equal("complete", (await client.WaitForReplyAsync(reply.Str("id"), Patience)).Str("status"));
        }
        foreach (var id in replies) Assert.Equal(worker, Assert.Single(await cluster.ClaimsAsync(id)));
    }

    [Fact]
    public async Task The_send_rate_holds_across_nodes()
    {
        await using var cluster = await ParleyNodes.StartAsync(2, new Dictionary<string, string?> { ["Parley:Limits:SendsPerMinute"] = "4" });
        var key = await cluster[0].SignUpAsync();
        // The rate is counted per minute of the clock: start early in one, so that all the sends fall in it.
        if (DateTime.UtcNow.Second >= 45) await Task.Delay(TimeSpan.FromSeconds(61 - DateTime.UtcNow.Second));

        for (var i = 0; i < 4; i++)
        {
            using var client = cluster[i % 2].NewClient(key);
            var session = await client.CreateSessionAsync();
            await client.SendAsync(session.Str("id"), $"Allowed send {i}");
        }
        foreach (var node in cluster.Nodes)
        {
            using var client = node.NewClient(key);
            var session = await client.CreateSessionAsync();
            var refused = await client.Http.PostAsJsonAsync($"/api/sessions/{session.Str("id")}/messages", new { content = "One too many" });
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task The_v1_request_rate_of_a_key_holds_across_nodes()
    {
        await using var cluster = await ParleyNodes.StartAsync(2, new Dictionary<string, string?> { ["Parley:Limits:KeyRequestsPerMinute"] = "4" });
        var key = await cluster[0].SignUpAsync();
        if (DateTime.UtcNow.Second >= 45) await Task.Delay(TimeSpan.FromSeconds(61 - DateTime.UtcNow.Second));
        const string body = """{"model":"demo","max_tokens":2,"messages":[{"role":"user","content":"hi"}]}""";

        for (var i = 0; i < 4; i++)
        {
            using var client = cluster[i % 2].NewClient(key);
            using var ok = await client.Http.PostAsync("/v1/chat/completions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        foreach (var node in cluster.Nodes)
        {
            using var client = node.NewClient(key);
            using var refused = await client.Http.PostAsync("/v1/chat/completions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            Assert.Contains("rate_limit_exceeded", await refused.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task A_key_deleted_through_one_node_stops_working_on_the_others_which_had_it_cached()
    {
        await using var cluster = await ParleyNodes.StartAsync(3);
        using var owner = cluster[0].NewClient(await cluster[0].SignUpAsync());
        var created = await owner.PostAsync("/api/keys", new { name = "revoked" }, HttpStatusCode.Created);
        var other = await owner.PostAsync("/api/keys", new { name = "kept" }, HttpStatusCode.Created);
        // Every node authenticates both keys once, so each holds them in its cache.
        foreach (var node in cluster.Nodes)
        {
            using var revoked = node.NewClient(created.Str("key"));
            using var kept = node.NewClient(other.Str("key"));
            await revoked.GetAsync("/api/me");
            await kept.GetAsync("/api/me");
        }

        await owner.DeleteAsync($"/api/keys/{created.Str("id")}");

        // The other nodes forget their cached credentials when the deletion's notification reaches them, well
        // within a second; the cache's own lifetime (a minute) is far longer than this test waits.
        foreach (var node in cluster.Nodes.Skip(1))
        {
            using var revoked = node.NewClient(created.Str("key"));
            var refusedWithin = await TimeUntilAsync(async () => (await revoked.Http.GetAsync("/api/me")).StatusCode == HttpStatusCode.Unauthorized,
                TimeSpan.FromSeconds(5));
            Assert.True(refusedWithin < TimeSpan.FromSeconds(5), $"{node.BaseAddress} still accepted the deleted key after 5 s");
            using var kept = node.NewClient(other.Str("key"));
            await kept.GetAsync("/api/me");
        }
    }

    [Fact]
    public async Task An_account_disabled_through_one_node_is_refused_by_the_others_which_had_it_cached()
    {
        // Replies of about two seconds, so one is still streaming when the account is disabled.
        await using var cluster = await ParleyNodes.StartAsync(2, new Dictionary<string, string?>
        {
            ["Parley:Demo:TokensPerSecond"] = "40",
            ["Parley:Demo:ReplyTokens"] = "80",
        });
        using var admin = cluster[0].NewClient(await cluster[0].SignUpAsync());
        var userKey = await cluster[1].SignUpAsync();
        using var user = cluster[1].NewClient(userKey);
        var me = await user.GetAsync("/api/me");
        await using var socket = await SocketClient.ConnectAsync(cluster[1].BaseAddress, bearer: userKey);
        await socket.PingAsync();
        var (_, reply) = await user.SendAsync((await user.CreateSessionAsync()).Str("id"), "A slow reply");
        using var streaming = new CancellationTokenSource(Patience);
        await using var stream = await SseReader.OpenAsync(user, reply.Str("id"), streaming.Token);
        await stream.NextNamedAsync("delta", [], streaming.Token);

        await admin.PatchAsync($"/api/admin/users/{me.Str("id")}", new { disabled = true });

        var refusedWithin = await TimeUntilAsync(async () => (await user.Http.GetAsync("/api/me")).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(5));
        Assert.True(refusedWithin < TimeSpan.FromSeconds(5), "The other node still let the disabled account in after 5 s");
        // The socket open on the other node closes too, when the same notification reaches it.
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await socket.Closed.WaitAsync(TimeSpan.FromSeconds(5)));
        // So does the SSE stream, before its reply's `done`.
        while (await stream.NextAsync(streaming.Token) is { } e) Assert.NotEqual("done", e.Event);
    }

    private static async Task<TimeSpan> TimeUntilAsync(Func<Task<bool>> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (await condition()) return clock.Elapsed;
            await Task.Delay(50);
        }
        return clock.Elapsed;
    }

    [Fact]
    public async Task The_concurrent_reply_cap_holds_across_nodes_under_simultaneous_sends()
    {
        await using var cluster = await ParleyNodes.StartAsync(2, new Dictionary<string, string?>
        {
            ["Parley:Limits:MaxConcurrentReplies"] = "2",
            ["Parley:Demo:TokensPerSecond"] = "20",
            ["Parley:Demo:ReplyTokens"] = "200",
        });
        var key = await cluster[0].SignUpAsync();
        var sessions = new List<(ParleyClient Client, string Session)>();
        for (var i = 0; i < 6; i++)
        {
            var client = cluster[i % 2].NewClient(key);
            sessions.Add((client, (await client.CreateSessionAsync()).Str("id")));
        }

        var sends = await Task.WhenAll(sessions.Select(s => s.Client.Http.PostAsJsonAsync($"/api/sessions/{s.Session}/messages", new { content = "All at once" })));

        Assert.Equal(2, sends.Count(r => r.StatusCode == HttpStatusCode.Accepted));
        Assert.Equal(4, sends.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        foreach (var (client, _) in sessions) client.Dispose();
    }

    private sealed record TimedEvent(SseEvent Event, TimeSpan At);

    private static async Task<List<TimedEvent>> ReadTimedAsync(ParleyClient client, string replyId, Stopwatch clock)
    {
        using var _ = client;
        using var cts = new CancellationTokenSource(Patience);
        await using var stream = await SseReader.OpenAsync(client, replyId, cts.Token);
        var events = new List<TimedEvent>();
        while (await stream.NextAsync(cts.Token) is { } e)
        {
            events.Add(new TimedEvent(e, clock.Elapsed));
            if (e.Event == "done") break;
        }
        return events;
    }
}
