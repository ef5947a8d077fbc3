using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Realtime;

// A test client for GET /ws over a real socket. A background pump reads every frame into a channel, so the
// socket always has a receive pending and answers the server's protocol pings (as a live client would), and
// tests read frames in order with a deadline instead of sleeping.
public sealed class SocketClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonElement> _frames = Channel.CreateUnbounded<JsonElement>();
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _pump;

    private SocketClient(ClientWebSocket socket)
    {
        _socket = socket;
        _pump = Task.Run(PumpAsync);
    }

    // Completes with the server's close status when the server closes the socket (null if the connection dropped).
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    public static Uri Endpoint(ParleyApp app) => Endpoint(app.BaseAddress);

    public static Uri Endpoint(Uri server) => new UriBuilder(server) { Scheme = "ws", Path = "/ws" }.Uri;

    public static Task<SocketClient> ConnectAsync(ParleyApp app, string? bearer = null, CookieContainer? cookies = null,
        Action<ClientWebSocketOptions>? configure = null) => ConnectAsync(app.BaseAddress, bearer, cookies, configure);

    // A server by its address, such as one of several nodes.
    public static async Task<SocketClient> ConnectAsync(Uri server, string? bearer = null, CookieContainer? cookies = null,
        Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = NewSocket(bearer, cookies, configure);
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(Endpoint(server), cts.Token);
        return new SocketClient(socket);
    }

    public static Task<SocketClient> ConnectAsync(ParleyApp app, SocketUser user) =>
        ConnectAsync(app, bearer: user.Client.ApiKey, cookies: user.Client.ApiKey is null ? user.Cookies : null);

    // A handshake expected to fail: returns the HTTP status the server answered with.
    public static async Task<HttpStatusCode> RefusedHandshakeAsync(ParleyApp app, string? bearer = null, CookieContainer? cookies = null,
        Action<ClientWebSocketOptions>? configure = null)
    {
        using var socket = NewSocket(bearer, cookies, o =>
        {
            o.CollectHttpResponseDetails = true;
            configure?.Invoke(o);
        });
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(Endpoint(app), cts.Token));
        return socket.HttpStatusCode;
    }

    private static ClientWebSocket NewSocket(string? bearer, CookieContainer? cookies, Action<ClientWebSocketOptions>? configure)
    {
        var socket = new ClientWebSocket();
        if (bearer is not null) socket.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
        if (cookies is not null) socket.Options.Cookies = cookies;
        configure?.Invoke(socket.Options);
        return socket;
    }

    public Task SendAsync(object frame) => SendTextAsync(JsonSerializer.Serialize(frame));

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    public Task SendBinaryAsync(byte[] bytes) =>
        _socket.SendAsync(bytes, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

    public async Task<JsonElement> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await _frames.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No frame arrived within {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s.");
        }
        catch (ChannelClosedException)
        {
            throw new Xunit.Sdk.XunitException($"The socket closed ({(Closed.IsCompleted ? Closed.Result : null)}) while a frame was expected.");
        }
    }

    // Reads frames until one matches `last` (included); all frames read are returned in order.
    public async Task<List<JsonElement>> ReadUntilAsync(Func<JsonElement, bool> last, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        var frames = new List<JsonElement>();
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"The awaited frame did not arrive; got {frames.Count} frames: {Describe(frames)}");
            var frame = await NextAsync(left);
            frames.Add(frame);
            if (last(frame)) return frames;
        }
    }

    public Task<List<JsonElement>> ReadReplyAsync(string messageId, TimeSpan? timeout = null) =>
        ReadUntilAsync(f => f.Str("type") == "ai_response_complete" && f.Str("messageId") == messageId, timeout);

    // Pings and waits for the pong: proves the socket is open, and that every frame sent before it was read.
    public async Task<List<JsonElement>> PingAsync()
    {
        await SendAsync(new { type = "ping" });
        return await ReadUntilAsync(f => f.Str("type") == "pong");
    }

    public async Task<JsonElement> ExpectErrorAsync(string code)
    {
        var frame = await NextAsync();
        Assert.True(frame.Str("type") == "error" && frame.Str("code") == code, $"Expected error {code}, got {frame}");
        return frame;
    }

    public static string Describe(IEnumerable<JsonElement> frames) => string.Join(" | ", frames.Select(f => f.GetRawText()));

    private async Task PumpAsync()
    {
        var buffer = new byte[16 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _closed.TrySetResult(result.CloseStatus);
                    // Completes the closing handshake the server started.
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    }
                    return;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage) continue;
                Assert.Equal(WebSocketMessageType.Text, result.MessageType);
                _frames.Writer.TryWrite(JsonDocument.Parse(message.ToArray()).RootElement.Clone());
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            _closed.TrySetResult(null);
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
                await _closed.Task.WaitAsync(cts.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException)
            {
            }
        }
        _socket.Abort();
        await _pump;
        _socket.Dispose();
    }
}

// A signed-in user whose cookie jar the test can hand to a ClientWebSocket (ParleyClient keeps its handler private).
public sealed class SocketUser : IDisposable
{
    private SocketUser(ParleyClient client, CookieContainer cookies)
    {
        Client = client;
        Cookies = cookies;
    }

    public ParleyClient Client { get; }

    public CookieContainer Cookies { get; }

    public static async Task<SocketUser> SignUpAsync(ParleyApp app, bool apiKey = false)
    {
        var cookies = new CookieContainer();
        var handler = new HttpClientHandler { UseCookies = true, CookieContainer = cookies };
        var client = new ParleyClient(new HttpClient(handler) { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(60) });
        await client.SignUpAsync();
        if (apiKey) await client.UseApiKeyAsync();
        return new SocketUser(client, cookies);
    }

    public async Task<string> NewSessionAsync() => (await Client.CreateSessionAsync()).Str("id");

    public void Dispose() => Client.Dispose();
}

public static class Frames
{
    public static bool Is(this JsonElement frame, string type, string? messageId = null) =>
        frame.Str("type") == type && (messageId is null || (frame.TryGetProperty("messageId", out var id) && id.GetString() == messageId));

    public static List<JsonElement> Of(this IEnumerable<JsonElement> frames, string messageId) =>
        frames.Where(f => f.TryGetProperty("messageId", out var id) && id.GetString() == messageId).ToList();

    public static List<long> Seqs(this IEnumerable<JsonElement> frames) =>
        frames.Where(f => f.TryGetProperty("seq", out _)).Select(f => f.GetProperty("seq").GetInt64()).ToList();

    // The text a client shows: chunk contents after the last reset.
    public static string Text(this IEnumerable<JsonElement> frames)
    {
        var list = frames.ToList();
        var lastReset = list.FindLastIndex(f => f.Str("type") == "reset");
        return string.Concat(list.Skip(lastReset + 1).Where(f => f.Str("type") == "ai_response_chunk").Select(f => f.Str("content")));
    }

    public static void AssertContiguous(IReadOnlyList<long> seqs, long from = 1)
    {
        Assert.NotEmpty(seqs);
        Assert.Equal(Enumerable.Range(0, seqs.Count).Select(i => from + i), seqs);
    }
}
