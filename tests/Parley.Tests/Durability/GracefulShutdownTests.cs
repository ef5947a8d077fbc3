using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Parley.Tests.Infrastructure;
using Parley.Tests.Messages;
using Xunit.Abstractions;

namespace Parley.Tests.Durability;

// SPEC §10 graceful shutdown, with a real SIGTERM to a real process: new work stops, running replies get the
// grace period, then are handed back for the restart to redo, and no message is ever left `generating`.
[Collection(DurabilityCollection.Name)]
public sealed class GracefulShutdownTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Sigterm_with_enough_grace_lets_the_running_reply_finish_and_its_reader_get_done()
    {
        // 100 tokens at 40/s: about 2.5 s, well inside a 20 s grace.
        await using var server = await ParleyProcess.StartAsync(new Dictionary<string, string?>
        {
            ["Parley:Generation:ShutdownGraceSeconds"] = "20",
            ["Parley:Demo:TokensPerSecond"] = "40",
            ["Parley:Demo:ReplyTokens"] = "100",
        });
        var db = new ParleyDatabase(server.DatabasePath);
        var key = await server.SignUpAsync();

        // The reader stays connected through the shutdown and receives the rest of the reply.
        var (replyId, seen, exitAfter) = await TerminateMidReplyAsync(server, key, "Finish me while the server stops");
        // It exits once its work is done, not at the end of the grace period.
        Assert.True(exitAfter < TimeSpan.FromSeconds(15), $"The server took {exitAfter.TotalSeconds:0.0} s to exit.");

        var numbered = ReplyChecks.Numbered(seen);
        ReplyChecks.AssertContiguous(numbered, 1);
        Assert.DoesNotContain(numbered, e => e.Event == "reset");
        ReplyChecks.AssertEndsWithDone(numbered, "complete");

        // Committed before the process exited, read straight from the file.
        Assert.Equal("complete", await ReplyChecks.StatusAsync(db, replyId));
        Assert.Equal(ReplyChecks.Text(numbered), await db.ScalarAsync("SELECT content FROM messages WHERE id = @id", ("@id", replyId)));
        await ReplyChecks.AssertSettledAsync(db, replyId);

        // After a restart the reply is as it was, and a reader can resume from any point of it.
        await server.RestartAsync();
        using var after = server.NewClient(key);
        Assert.Equal("complete", (await after.GetAsync($"/api/messages/{replyId}")).Str("status"));
        var from = numbered[^4].Seq;
        var resumed = ReplyChecks.Numbered(await after.ReadStreamAsync(replyId, lastEventId: from.ToString(), timeout: Patience));
        Assert.Equal(ReplyChecks.Shape(numbered.Skip(numbered.Count - 3)), ReplyChecks.Shape(resumed));
    }

    [Fact]
    public async Task Sigterm_with_too_short_a_grace_hands_the_reply_back_and_the_restart_redoes_it()
    {
        // 200 tokens at 25/s: about 8 s, far past a 1 s grace.
        await using var server = await ParleyProcess.StartAsync(new Dictionary<string, string?>
        {
            ["Parley:Generation:ShutdownGraceSeconds"] = "1",
            ["Parley:Demo:TokensPerSecond"] = "25",
            ["Parley:Demo:ReplyTokens"] = "200",
        });
        var db = new ParleyDatabase(server.DatabasePath);
        var key = await server.SignUpAsync();
        const string question = "Hand me back and do me again";

        // The stream ends cleanly (no reset connection) once the reply is handed back, without a `done`.
        var (replyId, seen, exitAfter) = await TerminateMidReplyAsync(server, key, question);
        Assert.True(exitAfter < TimeSpan.FromSeconds(6), $"The server took {exitAfter.TotalSeconds:0.0} s to exit with a 1 s grace.");

        var seenBefore = ReplyChecks.Numbered(seen);
        ReplyChecks.AssertContiguous(seenBefore, 1);
        Assert.DoesNotContain(seenBefore, e => e.Event == "done");

        // Handed back: queued again, its job free for the next start, and the interrupted attempt not counted.
        Assert.Equal("queued", await ReplyChecks.StatusAsync(db, replyId));
        Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM messages WHERE status = 'generating'"));
        Assert.Equal(1, await db.CountAsync("SELECT COUNT(*) FROM reply_jobs WHERE message_id = @id AND lease_owner IS NULL", ("@id", replyId)));
        Assert.Equal(0, await db.CountAsync("SELECT attempts FROM reply_jobs WHERE message_id = @id", ("@id", replyId)));
        // Every event a reader was shown is committed.
        Assert.True(await db.CountAsync("SELECT MAX(seq) FROM stream_events WHERE message_id = @id", ("@id", replyId)) >= seenBefore[^1].Seq);

        await server.RestartAsync(new Dictionary<string, string?> { ["Parley:Demo:TokensPerSecond"] = "400" });
        using var after = server.NewClient(key);
        var resumed = ReplyChecks.Numbered(await after.ReadStreamAsync(replyId, lastEventId: seenBefore[^1].Seq.ToString(), timeout: Patience));
        ReplyChecks.AssertContiguous(resumed, seenBefore[^1].Seq + 1);
        Assert.Single(resumed, e => e.Event == "reset");
        ReplyChecks.AssertEndsWithDone(resumed, "complete");

        var stored = await after.GetAsync($"/api/messages/{replyId}");
        Assert.Equal("complete", stored.Str("status"));
        var content = stored.Str("content");
        Assert.Equal(content, ReplyChecks.TextAfterLastReset(resumed));
        Assert.Contains(question, content);

        var replay = ReplyChecks.Numbered(await after.ReadStreamAsync(replyId, timeout: Patience));
        ReplyChecks.AssertContiguous(replay, 1);
        Assert.Equal(ReplyChecks.Shape(seenBefore.Concat(resumed)), ReplyChecks.Shape(replay));
        Assert.StartsWith(ReplyChecks.Text(replay.TakeWhile(e => e.Event != "reset")), content, StringComparison.Ordinal);

        await ReplyChecks.AssertSettledAsync(db, replyId);
    }

    [Fact]
    public async Task During_the_grace_period_a_send_is_refused_and_nothing_new_is_committed()
    {
        // A reply too long for the 4 s grace keeps the server in its grace period for the whole of it.
        await using var server = await ParleyProcess.StartAsync(new Dictionary<string, string?>
        {
            ["Parley:Generation:ShutdownGraceSeconds"] = "4",
            ["Parley:Demo:TokensPerSecond"] = "20",
            ["Parley:Demo:ReplyTokens"] = "300",
        });
        var db = new ParleyDatabase(server.DatabasePath);
        var key = await server.SignUpAsync();

        string runningId, quietSessionId;
        using (var client = server.NewClient(key))
        {
            var busy = await client.CreateSessionAsync();
            quietSessionId = (await client.CreateSessionAsync()).Str("id");
            var (_, reply) = await client.SendAsync(busy.Str("id"), "Keep the server busy");
            runningId = reply.Str("id");
            await Poll.UntilAsync(() => ReplyChecks.StatusAsync(db, runningId), s => (string?)s == "generating", Patience, "the reply to start");
        }

        using var cts = new CancellationTokenSource(Patience);
        var body = JsonSerializer.Serialize(new { content = "Too late?" });
        var sendHead = $"POST /api/sessions/{quietSessionId}/messages HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\n"
            + $"Authorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {System.Text.Encoding.UTF8.GetByteCount(body)}\r\n";

        // A send whose headers reached the handler before SIGTERM: `100 Continue` shows the endpoint is reading
        // its body. The body follows only once the server is stopping.
        await using var pending = await RawHttpConnection.OpenAsync(server.BaseAddress, cts.Token);
        await pending.SendAsync(sendHead + "Expect: 100-continue\r\n\r\n", cts.Token);
        Assert.Equal(100, (await pending.ReadResponseAsync(cts.Token))?.Status);

        // A keep-alive connection that has served a request and sits idle.
        await using var idle = await RawHttpConnection.OpenAsync(server.BaseAddress, cts.Token);
        await idle.SendAsync($"GET /api/me HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nAuthorization: Bearer {key}\r\n\r\n", cts.Token);
        Assert.Equal(200, (await idle.ReadResponseAsync(cts.Token))?.Status);

        server.Terminate();
        await server.WaitForLogAsync("Application is shutting down", Patience);
        Assert.False(server.HasExited);

        // The send decided during the grace period is refused: 503 with Retry-After, as problem details.
        await pending.SendAsync(body, cts.Token);
        var refused = await pending.ReadResponseAsync(cts.Token);
        Assert.NotNull(refused);
        Assert.True(refused.Status == 503, $"Expected 503, got {refused.Status}: {refused.Body}");
        Assert.True(refused.Headers.ContainsKey("Retry-After"));
        Assert.StartsWith("application/problem+json", refused.Headers["Content-Type"]);
        // ...while the grace period was still on: the running reply had not been handed back yet.
        Assert.Equal("generating", await ReplyChecks.StatusAsync(db, runningId));

        // Other ways in during the grace period: Kestrel has stopped taking requests, so they never reach the
        // endpoint. Whatever each gets, it is not a 2xx.
        var onIdle = await AttemptAsync(async () =>
        {
            await idle.SendAsync(sendHead + "\r\n" + body, cts.Token);
            return await idle.ReadResponseAsync(cts.Token);
        });
        var onNew = await AttemptAsync(async () =>
        {
            await using var fresh = await RawHttpConnection.OpenAsync(server.BaseAddress, cts.Token);
            await fresh.SendAsync(sendHead + "\r\n" + body, cts.Token);
            return await fresh.ReadResponseAsync(cts.Token);
        });
        output.WriteLine($"During the grace period: send on an idle keep-alive connection -> {onIdle}; send on a new connection -> {onNew}.");
        Assert.DoesNotContain("HTTP 2", onIdle);
        Assert.DoesNotContain("HTTP 2", onNew);
        Assert.False(server.HasExited, "The grace period ended before the checks were done; they proved nothing.");

        Assert.Equal(0, await server.WaitForExitAsync(Patience));
        Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM messages WHERE session_id = @s", ("@s", quietSessionId)));
        Assert.Equal("queued", await ReplyChecks.StatusAsync(db, runningId));
        Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM messages WHERE status = 'generating'"));

        // After a restart the handed-back reply is finished, and the refused send took no slot in its session.
        await server.RestartAsync(new Dictionary<string, string?> { ["Parley:Demo:TokensPerSecond"] = "400", ["Parley:Demo:ReplyTokens"] = "20" });
        using var after = server.NewClient(key);
        Assert.Equal("complete", (await after.WaitForReplyAsync(runningId, Patience)).Str("status"));
        await ReplyChecks.AssertSettledAsync(db, runningId);
        Assert.Equal("complete", (await after.ChatAsync(quietSessionId, "Now?")).Str("status"));
    }

    [Fact]
    public async Task Sigterm_with_no_grace_right_after_a_send_hands_the_reply_back_without_counting_an_attempt()
    {
        // A grace of 0 hands every running reply back at once, including one that was claimed a moment before
        // SIGTERM and had not started yet. A graceful stop is not a failure: it must not use up an attempt
        // (MaxAttempts is meant for crashes) nor keep the job leased by a process that is gone.
        await using var server = await ParleyProcess.StartAsync(new Dictionary<string, string?>
        {
            ["Parley:Generation:ShutdownGraceSeconds"] = "0",
            ["Parley:Demo:TokensPerSecond"] = "50",
        });
        var db = new ParleyDatabase(server.DatabasePath);
        var key = await server.SignUpAsync();

        string replyId;
        using (var client = server.NewClient(key))
        {
            var session = await client.CreateSessionAsync();
            var (_, reply) = await client.SendAsync(session.Str("id"), "Stop right after this");
            replyId = reply.Str("id");
            server.Terminate();
        }
        Assert.Equal(0, await server.WaitForExitAsync(Patience));

        Assert.NotEqual("generating", await ReplyChecks.StatusAsync(db, replyId));
        Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM messages WHERE status = 'generating'"));
        var attempts = await db.CountAsync("SELECT attempts FROM reply_jobs WHERE message_id = @id", ("@id", replyId));
        var leaseOwner = await db.ScalarAsync("SELECT lease_owner FROM reply_jobs WHERE message_id = @id", ("@id", replyId));
        output.WriteLine($"After the graceful stop: attempts={attempts}, lease_owner={leaseOwner}.");
        Assert.True(attempts == 0 && leaseOwner is DBNull,
            $"The reply was handed back with attempts={attempts} and lease_owner={leaseOwner}; expected 0 and null.\n{server.Output}");

        await server.RestartAsync();
        using var after = server.NewClient(key);
        Assert.Equal("complete", (await after.WaitForReplyAsync(replyId, Patience)).Str("status"));
        await ReplyChecks.AssertSettledAsync(db, replyId);
    }

    // What a request got, as text: a status, a closed connection or a socket error.
    private static async Task<string> AttemptAsync(Func<Task<RawHttpResponse?>> request)
    {
        try
        {
            var response = await request();
            return response is null ? "connection closed without a response" : $"HTTP {response.Status}";
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            var code = (ex as SocketException ?? ex.InnerException as SocketException)?.SocketErrorCode.ToString();
            return $"{ex.GetType().Name} {code}".Trim();
        }
    }

    // Sends `question`, follows its reply over SSE until five deltas have arrived, sends SIGTERM, reads the
    // stream to its end and waits for the process to exit by itself (exit code 0).
    private async Task<(string ReplyId, List<SseEvent> Seen, TimeSpan ExitAfter)> TerminateMidReplyAsync(
        ParleyProcess server, string key, string question)
    {
        var seen = new List<SseEvent>();
        using var client = server.NewClient(key);
        var session = await client.CreateSessionAsync();
        var (_, reply) = await client.SendAsync(session.Str("id"), question);
        var replyId = reply.Str("id");

        using var cts = new CancellationTokenSource(Patience);
        await using var reader = await SseReader.OpenAsync(client, replyId, cts.Token);
        await CrashRecoveryTests.ReadUntilAsync(reader, seen, s => s.Count(e => e.Event == "delta") >= 5, cts.Token);

        var clock = Stopwatch.StartNew();
        server.Terminate();
        while (await reader.NextAsync(cts.Token) is { } e) seen.Add(e);
        Assert.Equal(0, await server.WaitForExitAsync(Patience));
        var exitAfter = clock.Elapsed;
        output.WriteLine($"Exited {exitAfter.TotalSeconds:0.0} s after SIGTERM.");
        return (replyId, seen, exitAfter);
    }
}
