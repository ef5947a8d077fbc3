using System.Net.Sockets;
using System.Text;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Streaming;

public sealed class StalledReaderTests
{
    [Fact]
    public async Task An_SSE_reader_that_reads_nothing_is_cut_off_after_the_write_timeout_and_resumes_without_a_gap()
    {
        // About 6.5 MB of events: more than the socket buffers can absorb, so the server's writes block.
        await using var app = new ParleyApp(new Dictionary<string, string?>
        {
            ["Parley:Demo:ReplyTokens"] = "100000",
            ["Parley:Demo:TokensPerSecond"] = "100000",
            ["Parley:Demo:FirstTokenDelayMs"] = "0",
            ["Parley:Streaming:WriteTimeoutSeconds"] = "2",
        });
        using var client = app.NewClient();
        await client.SignUpAsync();
        var key = await client.UseApiKeyAsync();
        var session = await client.CreateSessionAsync();
        var (_, reply) = await client.SendAsync(session.Str("id"), "a very long answer");
        var id = reply.Str("id");

        // A raw HTTP/1.0 reader (no chunked framing) with a tiny receive window that reads nothing at first.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(app.BaseAddress.Host, app.BaseAddress.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"GET /api/messages/{id}/stream HTTP/1.0\r\nHost: {app.BaseAddress.Authority}\r\nAuthorization: Bearer {key}\r\n\r\n"));

        // The reply ends while this reader is stalled; then the write timeout has to pass.
        Assert.Equal("complete", (await client.WaitForReplyAsync(id, TimeSpan.FromSeconds(60))).Str("status"));
        await Task.Delay(TimeSpan.FromSeconds(4));

        // Now read what the server managed to send before it gave up on this reader.
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        using (var stream = new NetworkStream(socket, ownsSocket: false))
        {
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10))) > 0) received.Write(buffer, 0, read);
            }
            catch (IOException)
            {
                // A reset once the server aborted the connection.
            }
        }
        var text = Encoding.UTF8.GetString(received.ToArray());
        var body = text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        var events = await ParleyClient.ReadEventsAsync(new MemoryStream(Encoding.UTF8.GetBytes(body)), null, null, CancellationToken.None);
        // The parser returns only events ended by their blank line, so an event cut in the middle is not among them.
        var whole = events.Where(e => e.Id is not null).ToList();
        Assert.NotEmpty(whole);
        Assert.DoesNotContain(whole, e => e.Event == "done");
        Assert.Equal(Enumerable.Range(1, whole.Count).Select(i => (long)i), whole.Select(e => e.Seq));
        var lastSeen = whole[^1].Seq;

        // The reader comes back with Last-Event-ID and gets exactly the rest.
        var rest = (await client.ReadStreamAsync(id, lastEventId: lastSeen.ToString(), timeout: TimeSpan.FromSeconds(60)))
            .Where(e => e.Id is not null).ToList();
        Assert.Equal(lastSeen + 1, rest[0].Seq);
        Assert.Equal("done", rest[^1].Event);
        Assert.Equal(Enumerable.Range((int)lastSeen + 1, rest.Count).Select(i => (long)i), rest.Select(e => e.Seq));
    }
}
