using Microsoft.EntityFrameworkCore;
using Parley.Server.Storage;
using Parley.Server.Streaming;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Streaming;

// A batch of events goes into the store together: every value comes back exactly as it went in, whatever
// characters it holds, in order, and a batch that fails is written not at all.
public sealed class StreamEventStoreTests
{
    private static readonly string[] Texts =
    [
        "plain", "quote \" backslash \\ slash /", "line\nbreak\ttab\r", "你好，世界", "🌍🚀👩‍💻", "{\"content\":\"a \\\"b\\\" \\u00e9\"}",
        "<script>&amp;</script>", "\u0001\u001f control", "",
    ];

    [Fact]
    public async Task A_batch_comes_back_exactly_as_written()
    {
        await using var app = new ParleyApp();
        var reply = await CompletedReplyAsync(app);
        var events = Texts.Select((text, i) => new StreamEvent { MessageId = reply, Seq = 1_000 + i, Kind = i % 2 == 0 ? "delta" : "tool", Data = text }).ToList();

        await using (var db = await app.Service<IDbContextFactory<ParleyDb>>().CreateDbContextAsync())
        {
            await StreamEventStore.InsertAsync(db, events, CancellationToken.None);
        }

        var read = await app.Service<StreamEventStore>().ReadAfterAsync(reply, 999, CancellationToken.None);
        Assert.Equal(events.Select(e => (e.Seq, e.Kind, e.Data)), read.Select(e => (e.Seq, e.Kind, e.Data)));
    }

    [Fact]
    public async Task A_batch_with_one_bad_row_writes_none_of_it()
    {
        await using var app = new ParleyApp();
        var reply = await CompletedReplyAsync(app);
        // The second row repeats the first one's key.
        List<StreamEvent> events =
        [
            new() { MessageId = reply, Seq = 2_000, Kind = "delta", Data = "first" },
            new() { MessageId = reply, Seq = 2_000, Kind = "delta", Data = "again" },
        ];

        await using (var db = await app.Service<IDbContextFactory<ParleyDb>>().CreateDbContextAsync())
        {
            await Assert.ThrowsAnyAsync<Exception>(() => StreamEventStore.InsertAsync(db, events, CancellationToken.None));
        }

        Assert.Empty(await app.Service<StreamEventStore>().ReadAfterAsync(reply, 1_999, CancellationToken.None));
    }

    [Fact]
    public async Task Opening_reads_the_status_and_the_page_after_the_position_only_for_the_replys_owner()
    {
        await using var app = new ParleyApp();
        using var owner = app.NewClient();
        await owner.SignUpAsync();
        var session = (await owner.CreateSessionAsync()).Str("id");
        var (user, reply) = await owner.SendAsync(session, "Hello");
        var replyId = reply.Str("id");
        await owner.WaitForReplyAsync(replyId);
        var ownerId = (await owner.GetAsync("/api/me")).Str("id");
        using var stranger = app.NewClient();
        await stranger.SignUpAsync();
        var strangerId = (await stranger.GetAsync("/api/me")).Str("id");
        var store = app.Service<StreamEventStore>();
        var all = await store.ReadAfterAsync(replyId, 0, CancellationToken.None);
        Assert.True(all.Count >= 3, "a finished reply has its tokens and its done");

        var opened = await store.OpenAsync(replyId, ownerId, 0, CancellationToken.None);
        Assert.NotNull(opened);
        Assert.Equal("complete", opened.Value.Status);
        Assert.Equal(all.Select(e => (e.Seq, e.Kind, e.Data)), opened.Value.Events.Select(e => (e.Seq, e.Kind, e.Data)));

        var middle = all[all.Count / 2].Seq;
        var rest = await store.OpenAsync(replyId, ownerId, middle, CancellationToken.None);
        Assert.Equal(all.Where(e => e.Seq > middle).Select(e => e.Seq), rest!.Value.Events.Select(e => e.Seq));

        // Past the end: the status with an empty page.
        var past = await store.OpenAsync(replyId, ownerId, all[^1].Seq, CancellationToken.None);
        Assert.Equal(("complete", 0), (past!.Value.Status, past.Value.Events.Count));

        // Someone else's reply, a user message and no message answer alike.
        Assert.Null(await store.OpenAsync(replyId, strangerId, 0, CancellationToken.None));
        Assert.Null(await store.OpenAsync(user.Str("id"), ownerId, 0, CancellationToken.None));
        Assert.Null(await store.OpenAsync("msg_doesnotexist", ownerId, 0, CancellationToken.None));
    }

    [Fact]
    public async Task Opening_reads_one_page_at_most()
    {
        await using var app = new ParleyApp();
        var reply = await CompletedReplyAsync(app);
        var ownerId = await OwnerAsync(app, reply);
        var events = Enumerable.Range(0, StreamEventStore.PageSize + 10)
            .Select(i => new StreamEvent { MessageId = reply, Seq = 10_000 + i, Kind = "delta", Data = $"{{\"content\":\"{i}\"}}" }).ToList();
        await using (var db = await app.Service<IDbContextFactory<ParleyDb>>().CreateDbContextAsync())
        {
            await StreamEventStore.InsertAsync(db, events, CancellationToken.None);
        }

        var opened = await app.Service<StreamEventStore>().OpenAsync(reply, ownerId, 9_999, CancellationToken.None);
        Assert.Equal(events.Take(StreamEventStore.PageSize).Select(e => e.Seq), opened!.Value.Events.Select(e => e.Seq));
    }

    internal static async Task<string> OwnerAsync(ParleyApp app, string messageId)
    {
        await using var db = await app.Service<IDbContextFactory<ParleyDb>>().CreateDbContextAsync();
        return await db.Messages.Where(m => m.Id == messageId).Select(m => m.UserId).SingleAsync();
    }

    internal static async Task<string> CompletedReplyAsync(ParleyApp app)
    {
        using var client = app.NewClient();
        await client.SignUpAsync();
        var session = await client.CreateSessionAsync();
        var (_, reply) = await client.SendAsync(session.Str("id"), "Hello");
        await client.WaitForReplyAsync(reply.Str("id"));
        return reply.Str("id");
    }
}
