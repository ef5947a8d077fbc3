using System.Text.Json;
using Parley.Tests.Infrastructure;
using Parley.Tests.Messages;

namespace Parley.Tests.Durability;

// What every durability scenario checks about a reply once it has ended: its stream is a consistent log, and
// its row and job are settled in the database file itself.
internal static class ReplyChecks
{
    // The events that carry a sequence number (status events and comments carry none).
    public static List<SseEvent> Numbered(IEnumerable<SseEvent> events) => events.Where(e => e.Id is not null).ToList();

    // Sequence numbers `first`, first+1, ... with no gap and no duplicate, each matching its `id:` line.
    public static void AssertContiguous(IReadOnlyList<SseEvent> numbered, long first)
    {
        Assert.NotEmpty(numbered);
        Assert.Equal(Enumerable.Range(0, numbered.Count).Select(i => first + i), numbered.Select(e => e.Seq));
        Assert.All(numbered, e => Assert.Equal(e.Id, e.Seq.ToString()));
    }

    // The last event is `done` with the given status, and nothing follows it.
    public static JsonElement AssertEndsWithDone(IReadOnlyList<SseEvent> numbered, string status)
    {
        var done = numbered[^1];
        Assert.True(done.Event == "done", $"The stream ended with '{done.Event}' (seq {done.Seq}), not 'done'.");
        Assert.Single(numbered, e => e.Event == "done");
        Assert.Equal(status, done.Json.Str("status"));
        return done.Json;
    }

    public static string Text(IEnumerable<SseEvent> events) =>
        string.Concat(events.Where(e => e.Event == "delta").Select(e => e.Json.Str("content")));

    // SPEC §6: the deltas after the last `reset` make up the reply.
    public static string TextAfterLastReset(IReadOnlyList<SseEvent> numbered)
    {
        var lastReset = numbered.Select((e, i) => (e, i)).LastOrDefault(x => x.e.Event == "reset");
        return Text(lastReset.e is null ? numbered : numbered.Skip(lastReset.i + 1));
    }

    public static List<(long Seq, string Event, string Data)> Shape(IEnumerable<SseEvent> numbered) =>
        numbered.Select(e => (e.Seq, e.Event, e.Data)).ToList();

    public static Task<object?> StatusAsync(ParleyDatabase db, string messageId) =>
        db.ScalarAsync("SELECT status FROM messages WHERE id = @id", ("@id", messageId));

    // SPEC §10: no message is ever left `generating` once its server has stopped or its reply has ended. The
    // reply's job is gone and its session takes new sends again.
    public static async Task AssertSettledAsync(ParleyDatabase db, string replyId)
    {
        Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM messages WHERE status = 'generating'"));
        Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM reply_jobs WHERE message_id = @id", ("@id", replyId)));
        Assert.Equal(0, await db.CountAsync(
            "SELECT COUNT(*) FROM sessions WHERE active_reply_id = @id", ("@id", replyId)));
    }
}
