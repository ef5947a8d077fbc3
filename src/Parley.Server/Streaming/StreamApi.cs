using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Parley.Server.Auth;
using Parley.Server.Infrastructure;
using Parley.Server.Storage;

namespace Parley.Server.Streaming;

internal static class StreamApi
{
    public static IEndpointRouteBuilder MapStreaming(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/messages/{id}/stream", Stream).RequireAuthorization();
        return app;
    }

    // SPEC §6. Resume point: ?after=N, else Last-Event-ID, else the beginning. A stream lasts as long as the
    // credential it was opened with, like a WebSocket: when that key is deleted, that session ends or the account
    // is disabled, the response ends, and the client's reconnection is refused.
    internal static async Task<Results<EmptyHttpResult, ProblemHttpResult, ValidationProblem>> Stream(
        string id, long? after, HttpContext http, ReplyEventReader reader, IOptions<StreamingOptions> options,
        StreamShutdown shutdown, CredentialResolver credentials, ParleyMetrics metrics)
    {
        var userId = http.User.UserId();
        var from = after;
        if (from is null && http.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } lastEventId)
        {
            if (!long.TryParse(lastEventId, out var parsed)) return new FieldErrors().Add("Last-Event-ID", "Must be a sequence number.").ToProblem();
            from = parsed;
        }
        if (from < 0) return new FieldErrors().Add("after", "Must be 0 or more.").ToProblem();

        // Only replies have streams; a user message answers 404 like an unknown id.
        using var reading = await reader.OpenAsync(id, userId, from ?? 0, http.RequestAborted);
        if (reading is null) return Problems.NotFound("message");

        var response = http.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-transform";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(http.RequestAborted);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, shutdown.Token);
        var presented = PresentedCredential.From(http.Request) ?? throw new InvalidOperationException("An authorized request carries no credential.");
        var watching = StopOnRevocationAsync(credentials, presented, userId, stop);
        // Cancelled with `stop`, or by a write that takes longer than the write timeout. One source for the whole
        // stream, its timer re-armed per write, so a token's write allocates no source and no registration.
        using var writes = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        var writeTimeout = TimeSpan.FromSeconds(options.Value.WriteTimeoutSeconds);
        using var _ = metrics.TrackStream();
        try
        {
            var text = new StringBuilder();
            await foreach (var batch in reading.ReadBatchesAsync(stop.Token))
            {
                // One write and one flush per batch read from the store or the live buffer, not per event.
                text.Clear();
                for (var i = 0; i < batch.Count; i++) Format(batch[i], text); // foreach would box the list's enumerator
                // Encoded straight into the response's buffer: no string per batch. A reader whose socket takes
                // nothing for the write timeout is cut off; it may resume later.
                foreach (var chunk in text.GetChunks()) Encoding.UTF8.GetBytes(chunk.Span, response.BodyWriter);
                writes.CancelAfter(writeTimeout);
                await response.BodyWriter.FlushAsync(writes.Token);
                if (!writes.TryReset()) break;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The client left, the server is stopping, or the credential was revoked; the client resumes with
            // Last-Event-ID (and, if revoked, is refused).
        }
        catch (OperationCanceledException) when (writes.IsCancellationRequested)
        {
            http.Abort();
        }
        finally
        {
            await stop.CancelAsync();
            await watching;
        }
        return TypedResults.Empty;
    }

    private static async Task StopOnRevocationAsync(
        CredentialResolver credentials, PresentedCredential presented, string userId, CancellationTokenSource stop)
    {
        if (await credentials.WaitUntilRevokedAsync(presented, userId, stop.Token)) await stop.CancelAsync();
    }

    private static void Format(ReaderItem item, StringBuilder into)
    {
        switch (item)
        {
            case EventItem { Event: var e }:
                into.Append("id: ").Append(e.Seq).Append("\nevent: ").Append(e.Kind).Append("\ndata: ");
                StreamPayloads.AppendWithSeq(into, e).Append("\n\n");
                break;
            case StatusItem status:
                into.Append("event: status\ndata: {\"status\":\"").Append(status.Status).Append("\"}\n\n");
                break;
            default:
                into.Append(": keep-alive\n\n");
                break;
        }
    }
}
