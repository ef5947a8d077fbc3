using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Parley.Server.Generation;
using Parley.Server.Infrastructure;
using Parley.Server.Personas;
using Parley.Server.Providers;
using Parley.Server.Sessions;
using Parley.Server.Storage;

namespace Parley.Server.Messages;

internal abstract record ScheduleResult
{
    public sealed record Started(Message UserMessage, Message Reply) : ScheduleResult;
    public sealed record Repeated(Message UserMessage, Message Reply) : ScheduleResult;
    public sealed record Invalid(FieldErrors Errors) : ScheduleResult;
    public sealed record NotFound(string What) : ScheduleResult;
    public sealed record Busy(string RunningMessageId) : ScheduleResult;
    public sealed record KeyReused : ScheduleResult;
    public sealed record NotAReply : ScheduleResult;
    public sealed record ShuttingDown : ScheduleResult;
    public sealed record Limited(string Reason, string Detail, TimeSpan RetryAfter) : ScheduleResult;
}

// Commits new replies for the worker: a send (user message + queued reply) or a regeneration (a new reply to
// the same user message). Shared by the HTTP API and the WebSocket. Everything is committed before the
// caller answers, and the session's running-reply slot is taken with a conditional update in the same
// transaction, so concurrent sends cannot start two replies in one session.
//
// When this node's worker has a free slot, the transaction also claims the reply for it and starts it
// (`generating`), and the worker runs it as soon as it commits; otherwise the reply is `queued` for a claim.
internal sealed class ReplyScheduler(
    ParleyDb db,
    DatabaseTarget target,
    WriteGate writes,
    ReplyWorker worker,
    ReplyJobQueue queue,
    PersonaCatalog personas,
    ModelCatalog models,
    ReplySignal signal,
    IHostApplicationLifetime lifetime,
    IOptions<LimitsOptions> limits,
    UserLimits userLimits,
    UserSendGate sends,
    TimeProvider clock)
{
    // The session is read by the turn's own statement (InsertTurnAsync) rather than before it: one round trip
    // fewer on the way to the first token. So a send to someone else's session, or to none, is told apart from
    // a busy one only after the insert found no free slot, and answers 404 like an unknown id.
    public async Task<ScheduleResult> SendAsync(string userId, string sessionId, SendMessageRequest body, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(body.Content)) errors.Add("content", "Must not be empty.");
        errors.MaxLength("content", body.Content, limits.Value.MaxMessageChars);
        errors.MaxLength("clientMessageId", body.ClientMessageId, 64);
        if (body.ClientMessageId is { Length: 0 }) errors.Add("clientMessageId", "Must not be empty when given.");
        SessionsApi.CheckChoices(errors, body.PersonaId, body.Model, personas, models);
        if (errors.Any) return new ScheduleResult.Invalid(errors);

        if (body.ClientMessageId is not null && await FindRepeatAsync(userId, sessionId, body) is { } repeat) return repeat;
        if (lifetime.ApplicationStopping.IsCancellationRequested) return new ScheduleResult.ShuttingDown();
        if (userLimits.TakeLocalSend(userId) is { } wait) return UserLimits.SendRateLimited(wait);

        using var userTurn = await sends.EnterAsync(userId, ct);
        using var slot = worker.TryTakeSlot();
        var now = clock.GetUtcNow().UtcDateTime;
        var replyId = Ids.New("msg");
        var job = slot is null ? null : queue.ClaimAtSend(replyId);
        using var gate = await writes.EnterAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The persona and model left out of the request are the session's, filled in by InsertTurnAsync.
        var user = new Message
        {
            Id = Ids.New("msg"), SessionId = sessionId, UserId = userId, Role = "user", Content = body.Content!,
            Status = ReplyStatus.Complete, ClientMessageId = body.ClientMessageId, CreatedAt = now, CompletedAt = now,
            PersonaId = body.PersonaId,
        };
        var reply = NewReply(replyId, user, body.Model, body.PersonaId, now.AddTicks(1), job);
        ChatSession? session;
        try
        {
            (session, var limited) = await InsertTurnAsync(user, reply, job, ct);
            if (limited is not null)
            {
                await tx.RollbackAsync(ct);
                return limited;
            }
            if (session is null)
            {
                await tx.RollbackAsync(ct);
                return await RepeatOrBusyAsync(userId, sessionId, body, ct);
            }
            await tx.CommitAsync(ct);
        }
        catch (DbException ex) when (body.ClientMessageId is not null && RawSql.IsUniqueViolation(ex))
        {
            // A concurrent send with the same clientMessageId committed first.
            await tx.RollbackAsync(ct);
            return await RepeatOrBusyAsync(userId, sessionId, body, ct);
        }
        Start(job, slot, new LoadedReply(reply, session, user, 0));
        return new ScheduleResult.Started(user, reply);
    }

    public async Task<ScheduleResult> RegenerateAsync(string userId, string messageId, CancellationToken ct)
    {
        var old = await db.Messages.AsNoTracking().FirstOrDefaultAsync(m => m.Id == messageId && m.UserId == userId, ct);
        if (old is null) return new ScheduleResult.NotFound("message");
        if (old.Role != "assistant" || old.ParentId is null) return new ScheduleResult.NotAReply();
        if (lifetime.ApplicationStopping.IsCancellationRequested) return new ScheduleResult.ShuttingDown();
        if (userLimits.TakeLocalSend(userId) is { } wait) return UserLimits.SendRateLimited(wait);

        var session = await db.Sessions.AsNoTracking().FirstAsync(s => s.Id == old.SessionId, ct);
        var user = await db.Messages.AsNoTracking().FirstAsync(m => m.Id == old.ParentId, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var replyId = Ids.New("msg");

        using var userTurn = await sends.EnterAsync(userId, ct);
        using var slot = worker.TryTakeSlot();
        var job = slot is null ? null : queue.ClaimAtSend(replyId);
        using var gate = await writes.EnterAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await userLimits.CheckTurnAsync(db, userId, ct) is { } limited) return limited;
        var claimed = await db.Sessions
            .Where(s => s.Id == session.Id && s.ActiveReplyId == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ActiveReplyId, replyId).SetProperty(x => x.UpdatedAt, now), ct);
        if (claimed == 0)
        {
            await tx.RollbackAsync(ct);
            var running = await db.Sessions.Where(s => s.Id == session.Id).Select(s => s.ActiveReplyId).FirstOrDefaultAsync(ct);
            return new ScheduleResult.Busy(running ?? "");
        }

        // The earlier replies stay as alternatives; the new one takes their place on the current branch.
        await db.Messages.Where(m => m.ParentId == user.Id && m.Role == "assistant")
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Superseded, true), ct);
        var model = models.Find(session.Model) is not null ? session.Model : old.Model ?? models.Default;
        var reply = NewReply(replyId, user, model, session.PersonaId, now, job);
        db.Messages.Add(reply);
        db.ReplyJobs.Add(new ReplyJob
        {
            MessageId = reply.Id, UserId = userId, CreatedAt = now,
            Attempts = job?.Attempt ?? 0, LeaseOwner = job?.Owner, LeaseExpiresAt = job is null ? null : queue.LeaseExpiry(now),
        });
        await db.SaveChangesAsync(ct);
        if (job is not null) await ReplyJobQueue.LogAttemptAsync(db, job, now, ct);
        await tx.CommitAsync(ct);
        Start(job, slot, new LoadedReply(reply, session, user, 0));
        return new ScheduleResult.Started(user, reply);
    }

    // A committed reply: claimed by this node's worker, which runs it now from what the send has in hand, or left
    // for a claim.
    private void Start(ClaimedJob? job, ReplyWorker.SendSlot? slot, LoadedReply loaded)
    {
        if (job is not null && slot is not null) worker.Run(job with { Loaded = loaded }, slot);
        else signal.NewWork();
    }

    // Checks the user's limits, then takes the session's running-reply slot and the turn's ordinal, writes the
    // user's message, the reply and its job (with this node's lease and the attempt's row when the send claims
    // it), and returns the session as the slot's update left it, with the turn's persona and model filled in from
    // it where the send named none. Returns the limit instead when the user is over one, and no session when the
    // user has no such session or it has a reply running; the caller rolls back what was written then. On
    // PostgreSQL it is all one round trip, the limits' columns read in the turn's own statement (after the user's
    // lock, UserLimits.PostgresLock) and the inserts reading the ordinal and the session's choices from the
    // slot's update: a refused send's rows are written and rolled back, which costs less than a round trip of its
    // own for every send. SQLite runs in-process and takes three commands.
    private async Task<(ChatSession? Session, ScheduleResult.Limited? Limited)> InsertTurnAsync(Message user, Message reply, ClaimedJob? job, CancellationToken ct)
    {
        var postgres = target.Kind == DatabaseKind.Postgres;
        if (!postgres && await userLimits.CheckTurnAsync(db, user.UserId, ct) is { } over) return (null, over);
        var hit = postgres ? userLimits.SendHit(user.UserId) : null;
        ChatSession? session;
        await using (var first = postgres
            ? RawSql.Command(db, TurnSql[2 + (job is null ? 0 : 1)], [.. TurnParameters(user, reply, job), .. userLimits.Parameters(hit)])
            : RawSql.Command(db, SlotSql, TurnParameters(user, reply, job)))
        await using (var reader = await first.ExecuteReaderAsync(ct))
        {
            if (postgres) await reader.NextResultAsync(ct);
            var row = await reader.ReadAsync(ct);
            if (postgres && await userLimits.JudgeAsync(reader, hit, ct) is { } limited) return (null, limited);
            var at = postgres ? UserLimits.ColumnCount : 0;
            session = row && !reader.IsDBNull(at) ? ReadSession(reader, at, user, reply) : null;
        }
        if (session is null) return (null, null);

        user.Ordinal = reply.Ordinal = session.NextOrdinal;
        user.PersonaId ??= session.PersonaId;
        reply.PersonaId ??= session.PersonaId;
        reply.Model ??= session.Model;
        if (!postgres)
        {
            await using var insert = RawSql.Command(db, TurnSql[job is null ? 0 : 1], [.. TurnParameters(user, reply, job), ("@ordinal", user.Ordinal)]);
            await insert.ExecuteNonQueryAsync(ct);
        }
        return (session, null);
    }

    private (string, object?)[] TurnParameters(Message user, Message reply, ClaimedJob? job) =>
    [
        ("@u_id", user.Id), ("@session", user.SessionId), ("@user", user.UserId), ("@u_content", user.Content), ("@u_status", user.Status),
        ("@u_persona", user.PersonaId), ("@u_client", user.ClientMessageId), ("@no", false), ("@u_created", user.CreatedAt),
        ("@r_id", reply.Id), ("@r_status", reply.Status), ("@r_model", reply.Model), ("@r_persona", reply.PersonaId), ("@r_created", reply.CreatedAt),
        ("@attempts", job?.Attempt ?? 0), ("@owner", job?.Owner), ("@expires", job is null ? null : queue.LeaseExpiry(user.CreatedAt)),
    ];

    // The session's columns from `at` on.
    private static ChatSession ReadSession(DbDataReader reader, int at, Message user, Message reply) => new()
    {
        Id = user.SessionId, UserId = user.UserId, NextOrdinal = Convert.ToInt32(reader.GetValue(at)), Title = reader.GetString(at + 1),
        AutoTitle = reader.GetBoolean(at + 2), PersonaId = reader.GetString(at + 3), Model = reader.GetString(at + 4),
        SystemPrompt = reader.IsDBNull(at + 5) ? null : reader.GetString(at + 5),
        CreatedAt = DateTime.SpecifyKind(reader.GetDateTime(at + 6), DateTimeKind.Utc),
        UpdatedAt = user.CreatedAt, MessageCount = Convert.ToInt32(reader.GetValue(at + 7)), ActiveReplyId = reply.Id,
    };

    private const string SessionColumns = "next_ordinal, title, auto_title, persona_id, model, system_prompt, created_at, message_count";

    private const string SlotSql = $"""
        UPDATE sessions SET active_reply_id = @r_id, next_ordinal = next_ordinal + 1, message_count = message_count + 2, updated_at = @u_created
        WHERE id = @session AND user_id = @user AND active_reply_id IS NULL
        RETURNING {SessionColumns}
        """;

    // The turn's SQL for each database and whether the send claims the reply, built once: SQLite's inserts after
    // SlotSql, or PostgreSQL's one statement around it.
    private static readonly string[] TurnSql = [BuildTurnSql(false, false), BuildTurnSql(false, true), BuildTurnSql(true, false), BuildTurnSql(true, true)];

    private static string BuildTurnSql(bool postgres, bool claimed)
    {
        var (ordinal, from) = postgres ? ("slot.next_ordinal", " FROM slot") : ("@ordinal", "");
        var (userPersona, replyPersona, replyModel) = postgres
            ? ("COALESCE(@u_persona, slot.persona_id)", "COALESCE(@r_persona, slot.persona_id)", "COALESCE(@r_model, slot.model)")
            : ("@u_persona", "@r_persona", "@r_model");
        List<string> inserts =
        [
            $"""
            INSERT INTO messages (id, session_id, user_id, parent_id, role, content, status, model, persona_id, client_message_id, ordinal, superseded, created_at, completed_at)
            SELECT @u_id, @session, @user, NULL, 'user', @u_content, @u_status, NULL, {userPersona}, @u_client, {ordinal}, @no, @u_created, @u_created{from}
            """,
            $"""
            INSERT INTO messages (id, session_id, user_id, parent_id, role, content, status, model, persona_id, client_message_id, ordinal, superseded, created_at, completed_at)
            SELECT @r_id, @session, @user, @u_id, 'assistant', '', @r_status, {replyModel}, {replyPersona}, NULL, {ordinal}, @no, @r_created, NULL{from}
            """,
            claimed
                ? $"""
                  INSERT INTO reply_jobs (message_id, user_id, attempts, lease_owner, lease_expires_at, cancel_requested, created_at)
                  SELECT @r_id, @user, @attempts, @owner, @expires, @no, @u_created{from}
                  """
                : $"INSERT INTO reply_jobs (message_id, user_id, attempts, cancel_requested, created_at) SELECT @r_id, @user, 0, @no, @u_created{from}",
        ];
        if (claimed) inserts.Add($"INSERT INTO reply_attempts (message_id, attempt, node_id, claimed_at) SELECT @r_id, @attempts, @owner, @u_created{from}");
        if (!postgres) return string.Join(";\n", inserts);
        var steps = string.Join(",\n", inserts.Select((insert, i) => $"turn{i} AS ({insert})"));
        var session = string.Join(", ", SessionColumns.Split(", ").Select(column => "slot." + column));
        return $"""
            {UserLimits.PostgresLock}
            WITH {RateWindows.HitSql},
            slot AS ({SlotSql}),
            {steps}
            SELECT {UserLimits.PostgresColumns}, {session} FROM hit LEFT JOIN slot ON true
            """;
    }

    private static Message NewReply(string id, Message user, string? model, string? personaId, DateTime at, ClaimedJob? job) => new()
    {
        Id = id, SessionId = user.SessionId, UserId = user.UserId, ParentId = user.Id, Role = "assistant",
        Status = job is null ? ReplyStatus.Queued : ReplyStatus.Generating, Model = model, PersonaId = personaId, Ordinal = user.Ordinal, CreatedAt = at,
    };

    private async Task<ScheduleResult> RepeatOrBusyAsync(string userId, string sessionId, SendMessageRequest body, CancellationToken ct)
    {
        if (body.ClientMessageId is not null && await FindRepeatAsync(userId, sessionId, body) is { } repeat) return repeat;
        var session = await SessionQueries.Owned(db, sessionId, userId, ct);
        return session is null ? new ScheduleResult.NotFound("session") : new ScheduleResult.Busy(session.ActiveReplyId ?? "");
    }

    // Idempotency: the same clientMessageId in the same session names the same send.
    private async Task<ScheduleResult?> FindRepeatAsync(string userId, string sessionId, SendMessageRequest body)
    {
        var user = await db.Messages.AsNoTracking()
            .FirstOrDefaultAsync(m => m.SessionId == sessionId && m.UserId == userId && m.ClientMessageId == body.ClientMessageId && m.Role == "user");
        if (user is null) return null;
        if (user.Content != body.Content) return new ScheduleResult.KeyReused();
        var reply = await db.Messages.AsNoTracking()
            .Where(m => m.ParentId == user.Id && m.Role == "assistant")
            .OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id)
            .FirstAsync();
        return new ScheduleResult.Repeated(user, reply);
    }
}
