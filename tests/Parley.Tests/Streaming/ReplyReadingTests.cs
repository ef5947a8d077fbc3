using Microsoft.EntityFrameworkCore;
using Parley.Server.Storage;
using Parley.Server.Streaming;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Streaming;

// A reader opens with its reply's status and first page read in one query, after taking its live subscription:
// what commits between that query and the reader's first wait reaches it at once, not at the next poll.
public sealed class ReplyReadingTests
{
    [Fact]
    public async Task An_event_committed_after_the_opening_read_reaches_the_reader_without_waiting_for_the_poll()
    {
        // A poll far longer than the test may take: a lost wake-up shows as a timeout.
        await using var app = new ParleyApp(new Dictionary<string, string?>
        {
            ["Parley:Streaming:PollIntervalMs"] = "60000",
            ["Parley:Streaming:KeepAliveSeconds"] = "300",
        });
        var finished = await StreamEventStoreTests.CompletedReplyAsync(app);
        var ownerId = await StreamEventStoreTests.OwnerAsync(app, finished);
        var running = await RunningReplyBesideAsync(app, finished);

        using var reading = await app.Service<ReplyEventReader>().OpenAsync(running, ownerId, 0, CancellationToken.None);
        Assert.NotNull(reading);
        // Committed and published as the flusher does, after the opening read and before the first wait.
        var token = new StreamEvent { MessageId = running, Seq = 1, Kind = StreamEventKinds.Delta, Data = """{"content":"late"}""" };
        await using (var db = await app.Service<IDbContextFactory<ParleyDb>>().CreateDbContextAsync())
        {
            await StreamEventStore.InsertAsync(db, [token], CancellationToken.None);
        }
        app.Service<LiveStreams>().Publish(running, [token]);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var seen = new List<ReaderItem>();
        await foreach (var item in reading.ReadAsync(timeout.Token))
        {
            seen.Add(item);
            if (item is EventItem) break;
        }
        Assert.Equal("generating", Assert.IsType<StatusItem>(seen[0]).Status);
        Assert.Equal("late", Assert.IsType<EventItem>(seen[^1]).Event.Data[12..16]);
    }

    [Fact]
    public async Task Opening_someone_elses_reply_gives_nothing()
    {
        await using var app = new ParleyApp();
        var reply = await StreamEventStoreTests.CompletedReplyAsync(app);
        using var stranger = app.NewClient();
        await stranger.SignUpAsync();
        var strangerId = (await stranger.GetAsync("/api/me")).Str("id");

        Assert.Null(await app.Service<ReplyEventReader>().OpenAsync(reply, strangerId, 0, CancellationToken.None));
        // The subscription taken for the attempt was let go of: a publish finds no live reply to keep its events,
        // so a reader that comes later holds none of them.
        var live = app.Service<LiveStreams>();
        live.Publish(reply, [new StreamEvent { MessageId = reply, Seq = 1, Kind = StreamEventKinds.Delta, Data = "{}" }]);
        using var later = live.Subscribe(reply);
        Assert.False(later.TryReadAfter(0, []));
    }

    // A reply row marked generating in the same session as `reply`, with no events and no generator behind it.
    private static async Task<string> RunningReplyBesideAsync(ParleyApp app, string reply)
    {
        var id = "msg_running" + Guid.NewGuid().ToString("N")[..8];
        await using var db = await app.Service<IDbContextFactory<ParleyDb>>().CreateDbContextAsync();
        await RawSql.ExecuteAsync(db, """
            INSERT INTO messages (id, session_id, user_id, parent_id, role, content, status, model, persona_id, client_message_id, ordinal, superseded, created_at, completed_at)
            SELECT @id, session_id, user_id, parent_id, role, '', 'generating', model, persona_id, NULL, ordinal, superseded, created_at, NULL
            FROM messages WHERE id = @reply
            """, CancellationToken.None, ("@id", id), ("@reply", reply));
        return id;
    }
}
