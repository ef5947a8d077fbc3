using Parley.Server.Storage;

namespace Parley.Server.Sessions;

internal sealed record SessionDto(string Id, string Title, string PersonaId, string Model, string? SystemPrompt,
    DateTime CreatedAt, DateTime UpdatedAt, int MessageCount);

internal sealed record SessionPage(IReadOnlyList<SessionDto> Items, string? NextCursor);

internal sealed record CreateSessionRequest(string? Title, string? PersonaId, string? Model, string? SystemPrompt);

internal sealed record PatchSessionRequest(string? Title, string? PersonaId, string? Model, string? SystemPrompt);

internal static class SessionMapping
{
    public static SessionDto ToDto(this ChatSession s) =>
        new(s.Id, s.Title, s.PersonaId, s.Model, s.SystemPrompt, s.CreatedAt, s.UpdatedAt, s.MessageCount);
}
