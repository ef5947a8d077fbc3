using Parley.Tests.Infrastructure;
using Parley.Tests.Messages;

namespace Parley.Tests.Durability;

// SPEC §11.2-3: a reply whose process dies (SIGKILL, so no shutdown code runs) is taken up again on restart;
// its stream shows `reset` then the new reply, resumes exactly, and after MaxAttempts the reply ends as error.
[Collection(DurabilityCollection.Name)]
public sealed class CrashRecoveryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Reply_killed_mid_stream_is_redone_after_restart_and_its_stream_stays_one_consistent_log()
    {
        // 150 tokens at 50/s: about 3 s, so the kill lands well inside the reply.
        await using var server = await ParleyProcess.StartAsync(new Dictionary<string, string?>
        {
            ["Parley:Demo:TokensPerSecond"] = "50",
            ["Parley:Demo:ReplyTokens"] = "150",
        });
        var db = new ParleyDatabase(server.DatabasePath);
        var key = await server.SignUpAsync();
        const string question = "Please survive a crash in the middle of this reply";

        string replyId;
        var beforeCrash = new List<SseEvent>();
        using (var client = server.NewClient(key))
        {
            var session = await client.CreateSessionAsync();
            var (_, reply) = await client.SendAsync(session.Str("id"), question);
            replyId = reply.Str("id");

            using var cts = new CancellationTokenSource(Patience);
            await using var reader = await SseReader.OpenAsync(client, replyId, cts.Token);
            await ReadUntilAsync(reader, beforeCrash, seen => seen.Count(e => e.Event == "delta") >= 10, cts.Token);
            await server.KillHardAsync();
        }

        var seenBeforeCrash = ReplyChecks.Numbered(beforeCrash);
        ReplyChecks.AssertContiguous(seenBeforeCrash, 1);
        Assert.DoesNotContain(seenBeforeCrash, e => e.Event == "done");
        var lastSeen = seenBeforeCrash[^1].Seq;
        // The kill really caught the reply mid-generation, on its first attempt.
        Assert.Equal("generating", await ReplyChecks.StatusAsync(db, replyId));
        Assert.Equal(1, await db.CountAsync("SELECT attempts FROM reply_jobs WHERE message_id = @id", ("@id", replyId)));

        // The demo is deterministic whatever its pace, so the redone reply may come faster.
        await server.RestartAsync(new Dictionary<string, string?> { ["Parley:Demo:TokensPerSecond"] = "100" });
        using var after = server.NewClient(key);

        // (a) A reader resuming after the last event it saw gets exactly what follows: perhaps the tail the dead
        // process had committed, then `reset`, then the whole new reply, then `done`.
        var resumed = ReplyChecks.Numbered(await after.ReadStreamAsync(replyId, lastEventId: lastSeen.ToString(), timeout: Patience));
        ReplyChecks.AssertContiguous(resumed, lastSeen + 1);
        var resetAt = resumed.FindIndex(e => e.Event == "reset");
        Assert.True(resetAt >= 0, "The resumed stream has no reset: " + string.Join(", ", resumed.Select(e => $"{e.Seq}:{e.Event}")));
        Assert.All(resumed.Take(resetAt), e => Assert.Equal("delta", e.Event));
        Assert.Single(resumed, e => e.Event == "reset");
        var done = ReplyChecks.AssertEndsWithDone(resumed, "complete");
        Assert.Equal("stop", done.Str("finishReason"));

        var stored = await after.GetAsync($"/api/messages/{replyId}");
        Assert.Equal("complete", stored.Str("status"));
        var content = stored.Str("content");
        Assert.Equal(content, ReplyChecks.TextAfterLastReset(resumed));

        // (b) A full replay holds the same log: what the first reader saw, unchanged, then what the resumed one saw.
        var replay = ReplyChecks.Numbered(await after.ReadStreamAsync(replyId, timeout: Patience));
        ReplyChecks.AssertContiguous(replay, 1);
        Assert.Single(replay, e => e.Event == "reset");
        Assert.Equal(ReplyChecks.Shape(seenBeforeCrash), ReplyChecks.Shape(replay.Take(seenBeforeCrash.Count)));
        Assert.Equal(ReplyChecks.Shape(resumed), ReplyChecks.Shape(replay.Skip(seenBeforeCrash.Count)));
        Assert.Equal(content, ReplyChecks.TextAfterLastReset(replay));

        // The redone reply is the complete demo reply, not a continuation of the lost one: it echoes the
        // question, has every token, and the text shown before the crash was the start of the same reply.
        Assert.Contains(question, content);
        Assert.True(stored.GetProperty("usage").GetProperty("completionTokens").GetInt32() >= 150, stored.ToString());
        var shownBeforeReset = ReplyChecks.Text(replay.TakeWhile(e => e.Event != "reset"));
        Assert.StartsWith(shownBeforeReset, content, StringComparison.Ordinal);
        Assert.True(shownBeforeReset.Length < content.Length);

        await ReplyChecks.AssertSettledAsync(db, replyId);
    }

    [Fact]
    public async Task Reply_killed_on_every_attempt_ends_as_attempts_exhausted()
    {
        // 300 tokens at 20/s: no attempt can finish before it is killed, even on a loaded machine.
        await using var server = await ParleyProcess.StartAsync(new Dictionary<string, string?>
        {
            ["Parley:Demo:TokensPerSecond"] = "20",
            ["Parley:Demo:ReplyTokens"] = "300",
        });
        var db = new ParleyDatabase(server.DatabasePath);
        var key = await server.SignUpAsync();

        string sessionId, replyId;
        using (var client = server.NewClient(key))
        {
            var session = await client.CreateSessionAsync();
            sessionId = session.Str("id");
            var (_, reply) = await client.SendAsync(sessionId, "Crash me every time");
            replyId = reply.Str("id");
        }

        // MaxAttempts is 3: kill each attempt once it is streaming, i.e. once a delta follows its `reset`.
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            using (var client = server.NewClient(key))
            {
                using var cts = new CancellationTokenSource(Patience);
                await using var reader = await SseReader.OpenAsync(client, replyId, cts.Token);
                var resets = attempt - 1;
                await ReadUntilAsync(reader, [], seen =>
                    seen.Count(e => e.Event == "reset") == resets && seen[^1].Event == "delta", cts.Token);
            }
            Assert.Equal("generating", await ReplyChecks.StatusAsync(db, replyId));
            Assert.Equal(attempt, await db.CountAsync("SELECT attempts FROM reply_jobs WHERE message_id = @id", ("@id", replyId)));
            await server.KillHardAsync();
            // The last life runs fast, for the follow-up send below.
            await server.RestartAsync(attempt < 3 ? null : new Dictionary<string, string?> { ["Parley:Demo:TokensPerSecond"] = "400", ["Parley:Demo:ReplyTokens"] = "20" });
        }

        using var after = server.NewClient(key);
        var ended = await after.WaitForReplyAsync(replyId, Patience);
        Assert.Equal("error", ended.Str("status"));
        Assert.Equal("attempts_exhausted", ended.GetProperty("error").Str("code"));

        var replay = ReplyChecks.Numbered(await after.ReadStreamAsync(replyId, timeout: Patience));
        ReplyChecks.AssertContiguous(replay, 1);
        Assert.Equal(2, replay.Count(e => e.Event == "reset"));
        var done = ReplyChecks.AssertEndsWithDone(replay, "error");
        Assert.Equal("attempts_exhausted", done.GetProperty("error").Str("code"));
        Assert.Equal(ended.Str("content"), ReplyChecks.TextAfterLastReset(replay));

        await ReplyChecks.AssertSettledAsync(db, replyId);
        // The session is free again: a new send is taken and answered.
        var next = await after.ChatAsync(sessionId, "And now?");
        Assert.Equal("complete", next.Str("status"));
    }

    // Reads live events into `seen` until the condition holds; fails if the stream ends first.
    internal static async Task ReadUntilAsync(SseReader reader, List<SseEvent> seen, Func<List<SseEvent>, bool> until, CancellationToken ct)
    {
        while (seen.Count == 0 || !until(seen))
        {
            var next = await reader.NextAsync(ct)
                ?? throw new Xunit.Sdk.XunitException("The stream ended early: " + string.Join(", ", seen.Select(e => $"{e.Id}:{e.Event}")));
            seen.Add(next);
        }
    }
}
