using System.Text.Json;

namespace Parley.Server.Providers;

// What every model backend implements: stream one reply for a prompt. Backends report failures as
// ModelFailure so that the generator can store an error code a user can act on.
internal interface IChatModel
{
    IAsyncEnumerable<ModelUpdate> StreamAsync(ModelRequest request, CancellationToken ct);

    // A short title for a new conversation, or null to fall back to the first words of the message.
    Task<string?> SuggestTitleAsync(ModelRequest request, CancellationToken ct);
}

internal sealed record ToolCallRequest(string Id, string Name, string Arguments);

internal sealed record ToolDefinition(string Name, string Description, JsonElement Parameters);

internal sealed record ChatTurn(string Role, string Content, IReadOnlyList<ToolCallRequest>? ToolCalls = null, string? ToolCallId = null);

internal sealed record ModelRequest(
    string Model,
    string PersonaName,
    IReadOnlyList<ChatTurn> Messages,
    int? MaxOutputTokens = null,
    IReadOnlyList<ToolDefinition>? Tools = null)
{
    public string LastUserMessage => Messages.LastOrDefault(m => m.Role == "user")?.Content ?? "";
}

internal abstract record ModelUpdate;

internal sealed record TextDelta(string Text) : ModelUpdate;

internal sealed record UsageReport(int PromptTokens, int CompletionTokens) : ModelUpdate;

internal sealed record FinishReport(string Reason) : ModelUpdate;

// The model asks for tools to be run; sent once the calls are complete (all fragments joined).
internal sealed record ToolCallsReport(IReadOnlyList<ToolCallRequest> Calls) : ModelUpdate;

// Which model actually answers (a fallback may stand in for the one asked for). Sent before the first token.
internal sealed record AnsweredBy(string Model) : ModelUpdate;

internal sealed class ModelFailure(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;
}
