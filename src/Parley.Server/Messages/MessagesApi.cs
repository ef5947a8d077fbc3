using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Parley.Server.Auth;
using Parley.Server.Generation;
using Parley.Server.Infrastructure;
using Parley.Server.Storage;
using Parley.Server.Streaming;

namespace Parley.Server.Messages;

internal static class MessagesApi
{
    public static IEndpointRouteBuilder MapMessages(this IEndpointRouteBuilder app)
    {
        var inSession = app.MapGroup("/api/sessions/{sessionId}/messages").RequireAuthorization();
        inSession.MapGet("/", List);
        inSession.MapPost("/", Send);
        inSession.MapDelete("/", Clear);

        var messages = app.MapGroup("/api/messages/{id}").RequireAuthorization();
        messages.MapGet("/", Get);
        messages.MapPost("/cancel", Cancel);
        messages.MapPost("/regenerate", Regenerate);
        return app;
    }

    internal static async Task<Results<Ok<MessagePage>, ValidationProblem, ProblemHttpResult>> List(
        string sessionId, HttpContext http, ParleyDb db, int? limit, string? before, CancellationToken ct)
    {
        var userId = http.User.UserId();
        if (!await db.Sessions.AnyAsync(s => s.Id == sessionId && s.UserId == userId, ct)) return Problems.NotFound("session");

        var take = limit ?? 100;
        if (take is < 1 or > 500) return new FieldErrors().Add("limit", "Must be between 1 and 500.").ToProblem();

        // The current branch: user messages and, for each, the reply that has not been superseded.
        var query = db.Messages.AsNoTracking().Where(m => m.SessionId == sessionId && m.UserId == userId && !m.Superseded);
        if (before is not null)
        {
            var anchor = await db.Messages.AsNoTracking().Where(m => m.Id == before && m.SessionId == sessionId && m.UserId == userId)
                .Select(m => new { m.Ordinal, m.Role }).FirstOrDefaultAsync(ct);
            if (anchor is null) return new FieldErrors().Add("before", "Is not a message of this session.").ToProblem();
            query = anchor.Role == "assistant"
                ? query.Where(m => m.Ordinal < anchor.Ordinal || (m.Ordinal == anchor.Ordinal && m.Role == "user"))
                : query.Where(m => m.Ordinal < anchor.Ordinal);
        }
        var newestFirst = await query.OrderByDescending(m => m.Ordinal).ThenBy(m => m.Role).Take(take + 1).ToListAsync(ct);
        var page = newestFirst.Take(take).Reverse().Select(m => m.ToDto()).ToList();
        return TypedResults.Ok(new MessagePage(page, newestFirst.Count > take));
    }

    internal static async Task<IResult> Send(
        string sessionId, SendMessageRequest body, HttpContext http, ReplyScheduler scheduler, CancellationToken ct)
    {
        var result = await scheduler.SendAsync(http.User.UserId(), sessionId, body, ct);
        return ToHttp(result, http);
    }

    internal static async Task<IResult> Regenerate(string id, HttpContext http, ReplyScheduler scheduler, CancellationToken ct)
    {
        var result = await scheduler.RegenerateAsync(http.User.UserId(), id, ct);
        return result is ScheduleResult.Started started
            ? TypedResults.Accepted(StreamUrl(started.Reply.Id), new RegeneratedDto(started.Reply.ToDto()))
            : ToHttp(result, http);
    }

    internal static async Task<Results<Ok<MessageDto>, ProblemHttpResult>> Get(
        string id, HttpContext http, ParleyDb db, StreamEventStore store, CancellationToken ct)
    {
        var userId = http.User.UserId();
        var message = await db.Messages.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id && m.UserId == userId, ct);
        if (message is null) return Problems.NotFound("message");
        // A running reply's text lives in its event log until it ends.
        var content = message.Status == ReplyStatus.Generating ? await store.ContentSoFarAsync(id, ct) : null;
        return TypedResults.Ok(message.ToDto(content));
    }

    internal static async Task<Results<Accepted<MessageDto>, ProblemHttpResult>> Cancel(
        string id, HttpContext http, ReplyCanceller canceller, CancellationToken ct)
    {
        var (result, message) = await canceller.CancelAsync(http.User.UserId(), id, ct);
        return result switch
        {
            CancelResult.NotFound => Problems.NotFound("message"),
            // "messageStatus", not "status": RFC 9457 reserves "status" for the HTTP status code.
            CancelResult.AlreadyFinished => Problems.Conflict($"The message has already finished with status '{message!.Status}'.",
                new Dictionary<string, object?> { ["messageStatus"] = message.Status }),
            _ => TypedResults.Accepted(StreamUrl(id), message!.ToDto()),
        };
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Clear(
        string sessionId, HttpContext http, ConversationEraser eraser, CancellationToken ct) =>
        await eraser.ClearMessagesAsync(http.User.UserId(), sessionId, ct) ? TypedResults.NoContent() : Problems.NotFound("session");

    public static string StreamUrl(string messageId) => $"/api/messages/{messageId}/stream";

    private static IResult ToHttp(ScheduleResult result, HttpContext http) => result switch
    {
        ScheduleResult.Started s => TypedResults.Accepted(StreamUrl(s.Reply.Id), new MessagePair(s.UserMessage.ToDto(), s.Reply.ToDto())),
        ScheduleResult.Repeated r => TypedResults.Ok(new MessagePair(r.UserMessage.ToDto(), r.Reply.ToDto())),
        ScheduleResult.Invalid i => i.Errors.ToProblem(),
        ScheduleResult.NotFound n => Problems.NotFound(n.What),
        ScheduleResult.Busy b => Problems.Conflict("The session's previous reply is still running. Wait for it or cancel it.",
            new Dictionary<string, object?> { ["runningMessageId"] = b.RunningMessageId }),
        ScheduleResult.KeyReused => Problems.Conflict("This clientMessageId was already used in this session with different content."),
        ScheduleResult.NotAReply => TypedResults.Problem(title: "Bad request", detail: "Only assistant replies can be regenerated.", statusCode: 400),
        ScheduleResult.ShuttingDown => ShuttingDown(http),
        ScheduleResult.Limited limited => TooMany(http, limited),
        _ => throw new InvalidOperationException("Unknown schedule result " + result),
    };

    private static ProblemHttpResult TooMany(HttpContext http, ScheduleResult.Limited limited)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, Math.Ceiling(limited.RetryAfter.TotalSeconds)).ToString("0");
        return TypedResults.Problem(title: "Too many requests", detail: limited.Detail, statusCode: StatusCodes.Status429TooManyRequests,
            extensions: new Dictionary<string, object?> { ["limit"] = limited.Reason });
    }

    private static ProblemHttpResult ShuttingDown(HttpContext http)
    {
        http.Response.Headers.RetryAfter = "5";
        return Problems.Unavailable("The server is shutting down and takes no new replies. Try again in a moment.");
    }
}
