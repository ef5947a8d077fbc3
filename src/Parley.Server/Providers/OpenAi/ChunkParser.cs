using System.Text.Json;

namespace Parley.Server.Providers.OpenAi;

// Turns the `data:` payloads of a Chat Completions stream into ModelUpdates. It tolerates the quirks of
// compatible servers: usage missing or in a final chunk with empty `choices`, `reasoning_content` deltas
// (not part of the reply, so skipped), tool-call fragments whose id and name come only in the first fragment,
// and null or absent fields anywhere.
internal sealed class ChunkParser
{
    private readonly SortedDictionary<int, PendingCall> _calls = new();
    private string? _finishReason;

    private sealed class PendingCall
    {
        public string? Id;
        public string? Name;
        public readonly System.Text.StringBuilder Arguments = new();
    }

    // Adds what one payload carries to updates. The payload is UTF-8 JSON, read in place.
    public void Parse(ReadOnlyMemory<byte> data, List<ModelUpdate> updates)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(data);
        }
        catch (JsonException)
        {
            throw new UpstreamFailure(UpstreamFailureKind.Broken, "The provider sent a malformed stream event.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new UpstreamFailure(UpstreamFailureKind.Broken, "The provider sent a malformed stream event.");
            if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
            {
                var message = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
                    ? m.GetString()
                    : error.ToString();
                throw new UpstreamFailure(UpstreamFailureKind.Broken, $"The provider reported an error during the reply: {message}");
            }

            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
            {
                foreach (var choice in choices.EnumerateArray())
                {
                    if (choice.TryGetProperty("index", out var index) && index.ValueKind == JsonValueKind.Number && (!index.TryGetInt32(out var i) || i != 0)) continue;
                    if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
                    {
                        if (delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 } text)
                        {
                            updates.Add(new TextDelta(text));
                        }
                        if (delta.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
                        {
                            AddToolFragments(toolCalls);
                        }
                    }
                    if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
                    {
                        _finishReason = finish.GetString();
                    }
                }
            }

            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                updates.Add(new UsageReport(ReadInt(usage, "prompt_tokens"), ReadInt(usage, "completion_tokens")));
            }
        }
    }

    public bool HasToolCalls => _calls.Count > 0;

    public bool Finished => _finishReason is not null;

    // What the stream amounted to once it ended: the joined tool calls, then the finish reason.
    public IEnumerable<ModelUpdate> Complete()
    {
        if (_calls.Count > 0)
        {
            yield return new ToolCallsReport(_calls.Values
                .Select((c, i) => new ToolCallRequest(c.Id ?? $"call_{i}", c.Name ?? "", c.Arguments.ToString()))
                .ToList());
        }
        yield return new FinishReport(NormaliseFinish(_finishReason, _calls.Count > 0));
    }

    private void AddToolFragments(JsonElement toolCalls)
    {
        foreach (var fragment in toolCalls.EnumerateArray())
        {
            var index = fragment.TryGetProperty("index", out var i) && i.ValueKind == JsonValueKind.Number && i.TryGetInt32(out var n) && n >= 0 ? n
                : _calls.Count == 0 ? 0 : _calls.Keys.Max();
            var id = fragment.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
            // A fragment without an index but with a new id starts a new call.
            if (!fragment.TryGetProperty("index", out _) && id is not null && _calls.TryGetValue(index, out var existing) && existing.Id is not null && existing.Id != id)
            {
                index++;
            }
            if (!_calls.TryGetValue(index, out var call)) _calls[index] = call = new PendingCall();
            call.Id ??= id;
            if (fragment.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
            {
                if (function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String && call.Name is null) call.Name = name.GetString();
                if (function.TryGetProperty("arguments", out var args) && args.ValueKind == JsonValueKind.String) call.Arguments.Append(args.GetString());
            }
        }
    }

    private static string NormaliseFinish(string? reason, bool hasToolCalls) => reason switch
    {
        "stop" or "length" or "content_filter" or "tool_calls" => hasToolCalls && reason == "stop" ? "tool_calls" : reason,
        "function_call" => "tool_calls",
        "eos" or "end_turn" or null => hasToolCalls ? "tool_calls" : "stop",
        "max_tokens" => "length",
        _ => hasToolCalls ? "tool_calls" : "stop",
    };

    private static int ReadInt(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : 0;
}
