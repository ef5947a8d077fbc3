using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Parley.Server.Auth;
using Parley.Server.Generation;
using Parley.Server.Infrastructure;
using Parley.Server.Messages;
using Parley.Server.Personas;
using Parley.Server.Providers;
using Parley.Server.Storage;

namespace Parley.Server.Sessions;

internal static class SessionsApi
{
    public static IEndpointRouteBuilder MapSessions(this IEndpointRouteBuilder app)
    {
        var sessions = app.MapGroup("/api/sessions").RequireAuthorization();
        sessions.MapPost("/", Create);
        sessions.MapGet("/", List);
        sessions.MapGet("/{id}", Get);
        sessions.MapPatch("/{id}", Patch);
        sessions.MapDelete("/{id}", Delete);
        return app;
    }

    private const string InsertSql = """
        INSERT INTO sessions (id, user_id, title, auto_title, persona_id, model, system_prompt, created_at, updated_at, message_count, next_ordinal)
        VALUES (@id, @user, @title, @auto, @persona, @model, @prompt, @created, @updated, 0, 0)
        """;

    internal static async Task<Results<Created<SessionDto>, ValidationProblem>> Create(
        CreateSessionRequest body, HttpContext http, ParleyDb db, WriteGate writes, PersonaCatalog personas, ModelCatalog models,
        IOptions<LimitsOptions> limits, TimeProvider clock, CancellationToken ct)
    {
        var errors = Check(body.Title, body.SystemPrompt, body.PersonaId, body.Model, personas, models, limits.Value);
        if (errors.Any) return errors.ToProblem();

        var now = clock.GetUtcNow().UtcDateTime;
        var session = new ChatSession
        {
            Id = Ids.New("ses"),
            UserId = http.User.UserId(),
            Title = body.Title?.Trim() ?? AutoTitle.Default,
            AutoTitle = body.Title is null,
            PersonaId = body.PersonaId ?? PersonaCatalog.DefaultId,
            Model = body.Model ?? models.Default,
            SystemPrompt = string.IsNullOrWhiteSpace(body.SystemPrompt) ? null : body.SystemPrompt,
            CreatedAt = now,
            UpdatedAt = now,
        };
        // Plain SQL (RawSql): a new chat's first step, so on the path of every turn that starts one.
        using (await writes.EnterAsync(ct))
        {
            await RawSql.ExecuteAsync(db, InsertSql, ct,
                ("@id", session.Id), ("@user", session.UserId), ("@title", session.Title), ("@auto", session.AutoTitle), ("@persona", session.PersonaId),
                ("@model", session.Model), ("@prompt", session.SystemPrompt), ("@created", session.CreatedAt), ("@updated", session.UpdatedAt));
        }
        return TypedResults.Created($"/api/sessions/{session.Id}", session.ToDto());
    }

    internal static async Task<Results<Ok<SessionPage>, ValidationProblem>> List(
        HttpContext http, ParleyDb db, int? limit, string? cursor, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var take = limit ?? 20;
        if (take is < 1 or > 100) errors.Add("limit", "Must be between 1 and 100.");
        SessionCursor? after = null;
        if (cursor is not null && (after = SessionCursor.TryDecode(cursor)) is null) errors.Add("cursor", "Is not a cursor from this API.");
        if (errors.Any) return errors.ToProblem();

        var userId = http.User.UserId();
        // After a cursor, a row-value comparison: both databases answer it with one seek into ix_sessions_user_updated.
        // The same condition as an OR (older, or as old with a lower id) made PostgreSQL filter the user's sessions
        // from the top on every deeper page, and SQLite walk every session sharing the cursor's time (an import's).
        var query = after is null
            ? db.Sessions.Where(s => s.UserId == userId)
            : db.Sessions.FromSql($"SELECT * FROM sessions WHERE user_id = {userId} AND (updated_at, id) < ({after.UpdatedAt}, {after.Id})");
        var rows = await query.AsNoTracking().OrderByDescending(s => s.UpdatedAt).ThenByDescending(s => s.Id).Take(take + 1).ToListAsync(ct);
        var page = rows.Take(take).ToList();
        var next = rows.Count > take ? new SessionCursor(page[^1].UpdatedAt, page[^1].Id).Encode() : null;
        return TypedResults.Ok(new SessionPage(page.Select(s => s.ToDto()).ToList(), next));
    }

    internal static async Task<Results<Ok<SessionDto>, ProblemHttpResult>> Get(string id, HttpContext http, ParleyDb db, CancellationToken ct)
    {
        var userId = http.User.UserId();
        var session = await SessionQueries.Owned(db, id, userId, ct);
        return session is null ? Problems.NotFound("session") : TypedResults.Ok(session.ToDto());
    }

    internal static async Task<Results<Ok<SessionDto>, ValidationProblem, ProblemHttpResult>> Patch(
        string id, PatchSessionRequest body, HttpContext http, ParleyDb db, PersonaCatalog personas, ModelCatalog models,
        IOptions<LimitsOptions> limits, TimeProvider clock, CancellationToken ct)
    {
        var userId = http.User.UserId();
        var session = await db.Sessions.FirstOrDefaultAsync(s => s.Id == id && s.UserId == userId, ct);
        if (session is null) return Problems.NotFound("session");

        var errors = Check(body.Title, body.SystemPrompt, body.PersonaId, body.Model, personas, models, limits.Value);
        if (errors.Any) return errors.ToProblem();

        if (body.Title is not null)
        {
            session.Title = body.Title.Trim();
            session.AutoTitle = false;
        }
        if (body.PersonaId is not null) session.PersonaId = body.PersonaId;
        if (body.Model is not null) session.Model = body.Model;
        if (body.SystemPrompt is not null) session.SystemPrompt = body.SystemPrompt.Length == 0 ? null : body.SystemPrompt;
        session.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(session.ToDto());
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string id, HttpContext http, ConversationEraser eraser, CancellationToken ct) =>
        await eraser.DeleteSessionAsync(http.User.UserId(), id, ct) ? TypedResults.NoContent() : Problems.NotFound("session");

    // The same rules for create and patch: a given field must be valid, an absent one is left alone.
    private static FieldErrors Check(string? title, string? systemPrompt, string? personaId, string? model,
        PersonaCatalog personas, ModelCatalog models, LimitsOptions limits)
    {
        var errors = new FieldErrors();
        if (title is not null && string.IsNullOrWhiteSpace(title)) errors.Add("title", "Must not be blank.");
        errors.MaxLength("title", title?.Trim(), AutoTitle.MaxLength);
        errors.MaxLength("systemPrompt", systemPrompt, limits.MaxSystemPromptChars);
        CheckChoices(errors, personaId, model, personas, models);
        return errors;
    }

    public static void CheckChoices(FieldErrors errors, string? personaId, string? model, PersonaCatalog personas, ModelCatalog models)
    {
        if (personaId is not null && personas.Find(personaId) is null) errors.Add("personaId", $"There is no persona '{personaId}'.");
        if (model is not null && models.Find(model) is null) errors.Add("model", $"There is no model '{model}'. See GET /api/models.");
    }
}
