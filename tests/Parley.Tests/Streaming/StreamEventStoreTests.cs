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

    private static async Task<string> CompletedReplyAsync(ParleyApp app)
    {
        using var client = app.NewClient();
        await client.SignUpAsync();
        var session = await client.CreateSessionAsync();
        var (_, reply) = await client.SendAsync(session.Str("id"), "Hello");
        await client.WaitForReplyAsync(reply.Str("id"));
        return reply.Str("id");
    }
}
