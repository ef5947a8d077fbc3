using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Parley.Tests.Infrastructure;
using Parley.Tests.Messages;

namespace Parley.Tests.Realtime;

// SPEC §6: protocol-level pings drop dead peers, and a client that stops reading is cut off instead of queued for.
// SPEC §10: at shutdown open sockets are closed with 1001 (going away).
public sealed class SocketLifetimeTests
{
    [Fact]
    public async Task A_peer_that_never_answers_pings_is_dropped_while_a_live_one_stays()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?>
        {
            ["Parley:Streaming:WebSocketPingSeconds"] = "1",
            ["Parley:Streaming:WebSocketPongTimeoutSeconds"] = "1",
        });
        using var user = await SocketUser.SignUpAsync(app, apiKey: true);
        // A real client: its pump answers every ping.
        await using var live = await SocketClient.ConnectAsync(app, user);

        // A dead one: the upgrade is done by hand, then nothing is ever sent, so no ping gets its pong.
        using var tcp = await RawUpgradeAsync(app, user.Client.ApiKey!);
        var stream = tcp.GetStream();
        var upgraded = Stopwatch.StartNew();

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, deadline.Token);
            }
            catch (IOException)
            {
                break; // reset by the server
            }
            if (read == 0) break; // closed by the server
            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }
        upgraded.Stop();

        var text = Encoding.ASCII.GetString(received.ToArray());
        Assert.StartsWith("HTTP/1.1 101", text);
        var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        Assert.True(received.Count > headerEnd && received[headerEnd] == 0x89, "The server sent no ping frame before dropping the peer.");
        Assert.True(upgraded.Elapsed < TimeSpan.FromSeconds(10), $"The dead peer was dropped only after {upgraded.Elapsed.TotalSeconds:0.0} s.");

        // The live client has been through the same pings and is still connected.
        Assert.False(live.Closed.IsCompleted, "The live socket was closed too.");
        Assert.Single(await live.PingAsync());
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_cut_off_after_the_write_timeout()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?>
        {
            ["Parley:Streaming:WriteTimeoutSeconds"] = "1",
            ["Parley:Demo:FirstTokenDelayMs"] = "0",
            ["Parley:Demo:TokensPerSecond"] = "100000",
            ["Parley:Demo:ReplyTokens"] = "2000",
        });
        using var user = await SocketUser.SignUpAsync(app, apiKey: true);
        var reply = await user.Client.ChatAsync(await user.NewSessionAsync(), "A long reply to replay many times");
        Assert.Equal("complete", reply.Str("status"));

        // Each subscribe replays the whole reply (a few hundred KB). The client never reads, so the socket
        // buffers fill and a send blocks; the server must drop the client instead of waiting or queueing.
        using var tcp = await RawUpgradeAsync(app, user.Client.ApiKey!, readResponse: true);
        var stream = tcp.GetStream();
        var subscribe = MaskedTextFrame($"{{\"type\":\"subscribe\",\"messageId\":\"{reply.Str("id")}\"}}");
        var elapsed = Stopwatch.StartNew();
        var cutOff = false;
        while (!cutOff && elapsed.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                await stream.WriteAsync(subscribe);
                await Task.Delay(20); // pacing only: the loop ends on the server's reset, not on time
            }
            catch (IOException)
            {
                cutOff = true;
            }
        }

        Assert.True(cutOff, "The server kept a client that read nothing for 30 s.");
        // The reply is untouched and other clients are served.
        await using var other = await SocketClient.ConnectAsync(app, user);
        Assert.Single(await other.PingAsync());
    }

    [Fact]
    public async Task Shutdown_closes_open_sockets_with_going_away()
    {
        var app = new ParleyApp(new Dictionary<string, string?>());
        try
        {
            using var user = await SocketUser.SignUpAsync(app, apiKey: true);
            await using var socket = await SocketClient.ConnectAsync(app, user);
            Assert.Single(await socket.PingAsync());

            var stopping = app.DisposeAsync().AsTask();
            var status = await socket.Closed.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
            await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    // Performs the WebSocket upgrade by hand, so the test controls every byte the "client" reads or answers.
    private static async Task<TcpClient> RawUpgradeAsync(ParleyApp app, string apiKey, bool readResponse = false)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(app.BaseAddress.Host, app.BaseAddress.Port);
        var handshake = $"GET /ws HTTP/1.1\r\nHost: {app.BaseAddress.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {Convert.ToBase64String(Guid.NewGuid().ToByteArray())}\r\nSec-WebSocket-Version: 13\r\n" +
            $"Authorization: Bearer {apiKey}\r\n\r\n";
        await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(handshake));
        if (readResponse)
        {
            // Reads the 101 response byte by byte so that no frame after it is consumed.
            var head = new StringBuilder();
            var one = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await tcp.GetStream().ReadAsync(one) == 1) head.Append((char)one[0]);
            Assert.StartsWith("HTTP/1.1 101", head.ToString());
        }
        return tcp;
    }

    // A client-to-server text frame: FIN + text opcode, masked as RFC 6455 requires of clients.
    private static byte[] MaskedTextFrame(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        Assert.True(payload.Length < 126);
        var mask = new byte[] { 0x12, 0x34, 0x56, 0x78 };
        var frame = new byte[2 + 4 + payload.Length];
        frame[0] = 0x81;
        frame[1] = (byte)(0x80 | payload.Length);
        mask.CopyTo(frame, 2);
        for (var i = 0; i < payload.Length; i++) frame[6 + i] = (byte)(payload[i] ^ mask[i % 4]);
        return frame;
    }
}
