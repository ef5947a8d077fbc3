using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Options;
using Parley.Server.Auth;
using Parley.Server.Generation;
using Parley.Server.Infrastructure;
using Parley.Server.Messages;
using Parley.Server.Storage;
using Parley.Server.Streaming;

namespace Parley.Server.Realtime;

internal sealed record ReplySocketServices(
    ReplyEventReader Reader,
    IServiceScopeFactory Scopes,
    ParleyMetrics Metrics,
    IOptions<StreamingOptions> Options,
    StreamShutdown Shutdown,
    CredentialResolver Credentials,
    ILogger<ReplySocket> Logger);

// One user's WebSocket (SPEC §6). The receive loop handles the client's commands one at a time; every reply the
// client follows is its own task reading its own ReplyEventReader, so several replies stream at once and a
// slow one never holds up another. All frames leave through one send path, serialised by a semaphore because
// WebSocket.SendAsync may not run concurrently. Nothing is queued per socket: a follower waits for its send,
// and a send that takes longer than the write timeout aborts the socket (the client resumes with "after").
// Closing the socket ends the followers, never the replies; only a cancel command stops a reply.
//
// A socket lives as long as its credential: when the key it was opened with is deleted, its session logs out or
// ends, or the account is disabled, the server closes it with 1008 (policy violation), as the next request with
// that credential would be refused.
internal sealed class ReplySocket(WebSocket socket, string userId, PresentedCredential credential, ReplySocketServices services,
    CancellationToken connectionAborted)
{
    // The same limit as an HTTP body (SPEC §10).
    public const int MaxFrameBytes = (int)ErrorHandling.MaxBodyBytes;

    // How long a client gets to answer the server's close frame before the connection is cut.
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    private readonly StreamingOptions _options = services.Options.Value;
    private readonly ILogger _logger = services.Logger;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Dictionary<string, Follower> _followers = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private CancellationTokenSource _sendDeadline = new();

    public async Task RunAsync()
    {
        var receiving = ReceiveLoopAsync();
        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(connectionAborted);
        var revoked = services.Credentials.WaitUntilRevokedAsync(credential, userId, stopWatching.Token);
        try
        {
            if (await Task.WhenAny(receiving, revoked).WaitAsync(services.Shutdown.Token) == revoked && await revoked)
            {
                await StopFollowersAsync();
                await CloseAsync(WebSocketCloseStatus.PolicyViolation, "Your credential was revoked, or your account disabled. Sign in again.");
                await AwaitCloseHandshakeAsync(receiving);
            }
        }
        catch (OperationCanceledException) when (services.Shutdown.Token.IsCancellationRequested)
        {
            // The worker has finished or handed back its replies: say goodbye with 1001 so the client reconnects
            // to another node (or this one after its restart) and resumes with "after".
            await StopFollowersAsync();
            await CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "The server is shutting down.");
            await AwaitCloseHandshakeAsync(receiving);
        }
        await receiving;
        await stopWatching.CancelAsync();
        await revoked;
        await StopFollowersAsync();
        if (socket.State == WebSocketState.CloseReceived) await CloseAsync(WebSocketCloseStatus.NormalClosure, null);
        _sendDeadline.Dispose();
    }

    private async Task AwaitCloseHandshakeAsync(Task receiving)
    {
        try
        {
            await receiving.WaitAsync(CloseHandshakeTimeout);
        }
        catch (TimeoutException)
        {
            socket.Abort();
        }
    }

    // Ends when the client closes, the connection drops, or a missed pong or a write timeout aborts the socket.
    private async Task ReceiveLoopAsync()
    {
        var message = new ArrayBufferWriter<byte>(4096);
        var discard = new byte[4096];
        try
        {
            while (true)
            {
                message.ResetWrittenCount();
                var tooLarge = false;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(tooLarge ? discard : message.GetMemory(4096), connectionAborted);
                    if (result.MessageType == WebSocketMessageType.Close) return;
                    if (tooLarge) continue;
                    message.Advance(result.Count);
                    // The rest of an oversized frame is read and dropped, so the socket stays usable.
                    tooLarge = message.WrittenCount > MaxFrameBytes;
                } while (!result.EndOfMessage);

                var frame = tooLarge ? new ClientFrame.Bad($"A frame may be at most {MaxFrameBytes} bytes.")
                    : result.MessageType == WebSocketMessageType.Binary ? new ClientFrame.Bad("Frames must be JSON text, not binary.")
                    : ClientFrame.Parse(message.WrittenMemory);
                await HandleAsync(frame);

                // One large frame does not pin its buffer for the rest of the connection.
                if (message.Capacity > 64 * 1024) message = new ArrayBufferWriter<byte>(4096);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away or the socket was aborted.
        }
    }

    private async Task HandleAsync(ClientFrame frame)
    {
        try
        {
            switch (frame)
            {
                case ClientFrame.Ping:
                    await SendAsync(ServerFrames.Pong, CancellationToken.None);
                    break;
                case ClientFrame.Bad bad:
                    await SendErrorAsync(new ErrorFrame(RealtimeErrors.BadFrame, bad.Reason) { MessageId = bad.MessageId, ClientMessageId = bad.ClientMessageId });
                    break;
                case ClientFrame.UserMessage send:
                    await SendUserMessageAsync(send);
                    break;
                case ClientFrame.Subscribe subscribe:
                    await SubscribeAsync(subscribe);
                    break;
                case ClientFrame.Cancel cancel:
                    await CancelAsync(cancel);
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !connectionAborted.IsCancellationRequested)
        {
            _logger.LogError(e, "WebSocket command {Command} failed", frame.GetType().Name);
            await SendErrorAsync(new ErrorFrame(RealtimeErrors.Internal, "The command failed on the server. It has been logged."));
        }
    }

    private async Task SendUserMessageAsync(ClientFrame.UserMessage send)
    {
        await using var scope = services.Scopes.CreateAsyncScope();
        var scheduler = scope.ServiceProvider.GetRequiredService<ReplyScheduler>();
        var result = await scheduler.SendAsync(userId, send.SessionId,
            new SendMessageRequest(send.Content, send.ClientMessageId, send.Model, send.PersonaId), connectionAborted);

        (Message User, Message Reply)? sent = result switch
        {
            ScheduleResult.Started s => (s.UserMessage, s.Reply),
            // A repeat is acknowledged with the same pair and streamed again, so a client that lost the first
            // ack (a dropped socket) simply sends again.
            ScheduleResult.Repeated r => (r.UserMessage, r.Reply),
            _ => null,
        };
        if (sent is not (var user, var reply))
        {
            await SendErrorAsync(SendError(result) with { ClientMessageId = send.ClientMessageId });
            return;
        }

        if (!await SendAsync(ServerFrames.Ack(new AckFrame(send.ClientMessageId, user.ToDto(), reply.ToDto())), CancellationToken.None)) return;
        var reading = await services.Reader.OpenAsync(reply.Id, userId, 0, connectionAborted);
        if (reading is null) await SendErrorAsync(new ErrorFrame(RealtimeErrors.NotFound, "The message was deleted.") { MessageId = reply.Id });
        else await FollowAsync(reply.Id, reading);
    }

    private static ErrorFrame SendError(ScheduleResult result) => result switch
    {
        ScheduleResult.Invalid i => new ErrorFrame(RealtimeErrors.Validation, "One or more fields are invalid.")
        {
            Errors = i.Errors.ToProblem().ProblemDetails.Errors,
        },
        ScheduleResult.NotFound n => new ErrorFrame(RealtimeErrors.NotFound, $"The {n.What} does not exist."),
        ScheduleResult.Busy b => new ErrorFrame(RealtimeErrors.ReplyRunning, "The session's previous reply is still running. Wait for it or cancel it.")
        {
            RunningMessageId = b.RunningMessageId,
        },
        ScheduleResult.KeyReused => new ErrorFrame(RealtimeErrors.Conflict, "This clientMessageId was already used in this session with different content."),
        ScheduleResult.ShuttingDown => new ErrorFrame(RealtimeErrors.ShuttingDown, "The server is shutting down and takes no new replies. Try again in a moment."),
        ScheduleResult.Limited limited => new ErrorFrame(RealtimeErrors.RateLimited, limited.Detail)
        {
            Limit = limited.Reason,
            RetryAfter = (int)Math.Max(1, Math.Ceiling(limited.RetryAfter.TotalSeconds)),
        },
        _ => throw new InvalidOperationException("Unexpected schedule result " + result),
    };

    private async Task SubscribeAsync(ClientFrame.Subscribe subscribe)
    {
        if (subscribe.After < 0)
        {
            await SendErrorAsync(new ErrorFrame(RealtimeErrors.Validation, "One or more fields are invalid.")
            {
                MessageId = subscribe.MessageId,
                Errors = new Dictionary<string, string[]> { ["after"] = ["Must be 0 or more."] },
            });
            return;
        }

        // Owner-filtered: someone else's message is answered exactly as one that does not exist.
        var reading = await services.Reader.OpenAsync(subscribe.MessageId, userId, subscribe.After ?? 0, connectionAborted);
        if (reading is null)
        {
            await SendErrorAsync(new ErrorFrame(RealtimeErrors.NotFound, "The message does not exist.") { MessageId = subscribe.MessageId });
            return;
        }
        await FollowAsync(subscribe.MessageId, reading);
    }

    private async Task CancelAsync(ClientFrame.Cancel cancel)
    {
        await using var scope = services.Scopes.CreateAsyncScope();
        var canceller = scope.ServiceProvider.GetRequiredService<ReplyCanceller>();
        var (result, message) = await canceller.CancelAsync(userId, cancel.MessageId, connectionAborted);
        // Success has no frame of its own: followers of the reply see it end with status "cancelled".
        var error = result switch
        {
            CancelResult.NotFound => new ErrorFrame(RealtimeErrors.NotFound, "The message does not exist."),
            CancelResult.AlreadyFinished => new ErrorFrame(RealtimeErrors.AlreadyFinished, $"The message has already finished with status '{message!.Status}'.")
            {
                MessageStatus = message.Status,
            },
            _ => null,
        };
        if (error is not null) await SendErrorAsync(error with { MessageId = cancel.MessageId });
    }

    // Starts following a reply from after `after`. Following a reply this socket already follows replaces the
    // earlier follower, which is stopped and finished before the new one sends anything, so the client never
    // gets the two interleaved.
    private async Task FollowAsync(string messageId, ReplyReading reading)
    {
        Follower? follower = new(messageId);
        Follower? previous;
        lock (_gate)
        {
            _followers.TryGetValue(messageId, out previous);
            if (previous is null && _followers.Count >= _options.WebSocketMaxSubscriptions) follower = null;
            else _followers[messageId] = follower;
        }
        if (follower is null)
        {
            reading.Dispose();
            await SendErrorAsync(new ErrorFrame(RealtimeErrors.TooManySubscriptions,
                $"This socket already follows {_options.WebSocketMaxSubscriptions} replies. Wait for one to finish.") { MessageId = messageId });
            return;
        }
        previous?.Stop.Cancel();
        follower.Run = StreamAsync(follower, previous, reading);
    }

    private async Task StreamAsync(Follower follower, Follower? previous, ReplyReading reading)
    {
        using var _ = reading;
        // Runs off the receive loop from here on.
        await Task.Yield();
        var ct = follower.Stop.Token;
        try
        {
            if (previous?.Run is { } earlier) await earlier;
            var idJson = ServerFrames.MessageIdJson(follower.MessageId);
            var done = false;
            using (services.Metrics.TrackStream())
            {
                await foreach (var item in reading.ReadAsync(ct))
                {
                    if (ServerFrames.FromReader(item, idJson) is not { } frame) continue;
                    if (!await SendAsync(frame, ct)) return;
                    done = item is EventItem { Event.Kind: StreamEventKinds.Done };
                }
            }
            // The reader ends without "done" only when the message was deleted under it.
            if (!done) await SendErrorAsync(new ErrorFrame(RealtimeErrors.NotFound, "The message was deleted.") { MessageId = follower.MessageId }, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Replaced by a new subscription, or the socket is closing. The reply goes on.
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Streaming reply {MessageId} over a WebSocket failed", follower.MessageId);
            await SendErrorAsync(new ErrorFrame(RealtimeErrors.Internal, "Streaming this reply failed. Subscribe again with 'after' to resume.")
            {
                MessageId = follower.MessageId,
            });
        }
        finally
        {
            lock (_gate)
            {
                if (_followers.TryGetValue(follower.MessageId, out var current) && current == follower) _followers.Remove(follower.MessageId);
            }
        }
    }

    private async Task StopFollowersAsync()
    {
        Follower[] followers;
        lock (_gate) followers = [.. _followers.Values];
        foreach (var follower in followers) follower.Stop.Cancel();
        // Each waits for the one it replaced, so waiting for the current ones covers all. None throws.
        await Task.WhenAll(followers.Select(f => f.Run ?? Task.CompletedTask));
    }

    private Task SendErrorAsync(ErrorFrame error, CancellationToken ct = default) => SendAsync(ServerFrames.Error(error), ct);

    // The one send path. False once the socket can take no more frames. `ct` only stops the wait for the lock:
    // cancelling a WebSocket send part-way would abort the whole socket, so a started send runs to its end or
    // to the write deadline.
    private async Task<bool> SendAsync(string frame, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(frame.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(frame, buffer);
            await _sendLock.WaitAsync(ct);
            try
            {
                if (socket.State != WebSocketState.Open) return false;
                _sendDeadline.CancelAfter(TimeSpan.FromSeconds(_options.WriteTimeoutSeconds));
                await socket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, _sendDeadline.Token);
                if (!_sendDeadline.TryReset())
                {
                    // The deadline fired just as the send finished; it must not cancel the next one.
                    _sendDeadline.Dispose();
                    _sendDeadline = new CancellationTokenSource();
                }
                return true;
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The client took nothing for the write timeout: cut it off rather than queue for it.
            _logger.LogInformation("A WebSocket client read nothing for {Seconds}s and was disconnected", _options.WriteTimeoutSeconds);
            socket.Abort();
            return false;
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task CloseAsync(WebSocketCloseStatus status, string? description)
    {
        try
        {
            await _sendLock.WaitAsync();
            try
            {
                if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
                _sendDeadline.CancelAfter(TimeSpan.FromSeconds(_options.WriteTimeoutSeconds));
                await socket.CloseOutputAsync(status, description, _sendDeadline.Token);
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            socket.Abort();
        }
    }

    // Stop is never disposed: it has no timer or parent, and may be cancelled from either side at any time.
    private sealed class Follower(string messageId)
    {
        public string MessageId { get; } = messageId;
        public CancellationTokenSource Stop { get; } = new();
        public Task? Run { get; set; }
    }
}
