namespace Parley.Server.Providers;

// What every model backend implements: stream one reply for a prompt. Backends report failures as
// ModelFailure so that the generator can store an error code a user can act on.
internal interface IChatModel
{
    IAsyncEnumerable<ModelUpdate> StreamAsync(ModelRequest request, CancellationToken ct);

    // A short title for a new conversation, or null to fall back to the first words of the message.
    Task<string?> SuggestTitleAsync(ModelRequest request, CancellationToken ct);
}

internal sealed record ChatTurn(string Role, string Content);

internal sealed record ModelRequest(string Model, string PersonaName, IReadOnlyList<ChatTurn> Messages, int? MaxOutputTokens = null)
{
    public string LastUserMessage => Messages.LastOrDefault(m => m.Role == "user")?.Content ?? "";
}

internal abstract record ModelUpdate;

internal sealed record TextDelta(string Text) : ModelUpdate;

internal sealed record UsageReport(int PromptTokens, int CompletionTokens) : ModelUpdate;

internal sealed record FinishReport(string Reason) : ModelUpdate;

internal sealed class ModelFailure(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;
}
