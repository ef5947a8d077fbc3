namespace FakeLlm;

internal sealed record ToolCallReply(string Id, string Name, string Arguments, IReadOnlyList<string> Fragments);

// Everything the responders need, decided up front so streaming and non-streaming agree.
internal sealed record Reply(
    IReadOnlyList<string> Tokens,
    ToolCallReply? ToolCall,
    string FinishReason,
    int PromptTokens)
{
    public string Text => string.Concat(Tokens);

    public int CompletionTokens => Tokens.Count + (ToolCall?.Fragments.Count ?? 0);
}
