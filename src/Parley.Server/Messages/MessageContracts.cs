using System.Text.Json;
using Parley.Server.Storage;
using Parley.Server.Streaming;

namespace Parley.Server.Messages;

internal sealed record MessageDto(
    string Id, string SessionId, string? ParentId, string Role, string Content, string Status, string? Model,
    string? PersonaId, string? FinishReason, UsageDto? Usage, ErrorDto? Error, JsonElement? ToolCalls,
    DateTime CreatedAt, DateTime? CompletedAt);

internal sealed record MessagePage(IReadOnlyList<MessageDto> Items, bool HasMore);

internal sealed record SendMessageRequest(string? Content, string? ClientMessageId, string? Model, string? PersonaId);

internal sealed record MessagePair(MessageDto UserMessage, MessageDto AssistantMessage);

internal sealed record RegeneratedDto(MessageDto AssistantMessage);

internal static class MessageMapping
{
    public static MessageDto ToDto(this Message m, string? contentOverride = null) => new(
        m.Id, m.SessionId, m.ParentId, m.Role, contentOverride ?? m.Content, m.Status, m.Model, m.PersonaId, m.FinishReason,
        m.PromptTokens is null && m.CompletionTokens is null ? null : new UsageDto(m.PromptTokens ?? 0, m.CompletionTokens ?? 0),
        m.ErrorCode is null ? null : new ErrorDto(m.ErrorCode, m.ErrorMessage ?? m.ErrorCode),
        m.ToolCalls is null ? null : JsonSerializer.Deserialize<JsonElement>(m.ToolCalls),
        m.CreatedAt, m.CompletedAt);
}
