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

    // A tool-call fragment as read, applied to the pending calls only once the whole payload has been read.
    private readonly record struct Fragment(bool HasIndex, int? Index, string? Id, string? Name, string? Arguments);

    // What one payload said, gathered in a single forward pass, then applied at its end: an error anywhere in it
    // discards the rest, and an index that comes after a choice's delta still decides whether the delta counts.
    private ref struct Payload
    {
        // Set when the payload carries a non-null error.
        public string? Error;
        public string? Finish;
        public UsageReport? Usage;
        public List<Fragment>? Fragments;
    }

    // Adds what one payload carries to updates. The payload is UTF-8 JSON, read in place with a forward-only
    // reader: no document is built, and only the reply's text, a finish reason and tool-call fragments become
    // strings.
    public void Parse(ReadOnlyMemory<byte> data, List<ModelUpdate> updates)
    {
        var first = updates.Count;
        var payload = new Payload();
        try
        {
            var reader = new Utf8JsonReader(data.Span);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw Malformed();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Null) payload.Error = ErrorText(ref reader, data.Span);
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray) ReadChoices(ref reader, ref payload, updates);
                    else reader.Skip();
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject) payload.Usage = ReadUsage(ref reader);
                    else reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) throw Malformed();
        }
        catch (JsonException)
        {
            updates.RemoveRange(first, updates.Count - first);
            throw Malformed();
        }
        catch (UpstreamFailure)
        {
            updates.RemoveRange(first, updates.Count - first);
            throw;
        }

        if (payload.Error is not null)
        {
            updates.RemoveRange(first, updates.Count - first);
            throw new UpstreamFailure(UpstreamFailureKind.Broken, $"The provider reported an error during the reply: {payload.Error}");
        }
        if (payload.Fragments is { } fragments)
        {
            foreach (var fragment in fragments) AddToolFragment(fragment);
        }
        if (payload.Finish is not null) _finishReason = payload.Finish;
        if (payload.Usage is { } usage) updates.Add(usage);
    }

    private static UpstreamFailure Malformed() => new(UpstreamFailureKind.Broken, "The provider sent a malformed stream event.");

    // An error's message where it has one, else the error as the provider wrote it.
    private static string ErrorText(ref Utf8JsonReader reader, ReadOnlySpan<byte> data)
    {
        if (reader.TokenType == JsonTokenType.String) return reader.GetString()!;
        var start = (int)reader.TokenStartIndex;
        string? message = null;
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            var depth = reader.CurrentDepth;
            while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != depth + 1) continue;
                var isMessage = reader.ValueTextEquals("message"u8);
                reader.Read();
                if (isMessage && reader.TokenType == JsonTokenType.String) message ??= reader.GetString();
                else reader.Skip();
            }
        }
        else
        {
            reader.Skip();
        }
        return message ?? System.Text.Encoding.UTF8.GetString(data[start..(int)reader.BytesConsumed]);
    }

    private static void ReadChoices(ref Utf8JsonReader reader, ref Payload payload, List<ModelUpdate> updates)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            // Only the first choice is the reply; a choice with no index is taken to be it.
            var isFirst = true;
            string? text = null;
            string? finish = null;
            List<Fragment>? fragments = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("index"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number) isFirst = reader.TryGetInt32(out var index) && index == 0;
                    else reader.Skip();
                }
                else if (reader.ValueTextEquals("delta"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject) ReadDelta(ref reader, ref text, ref fragments);
                    else reader.Skip();
                }
                else if (reader.ValueTextEquals("finish_reason"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String) finish = reader.GetString();
                    else reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (!isFirst) continue;
            if (text is { Length: > 0 }) updates.Add(new TextDelta(text));
            if (fragments is not null) (payload.Fragments ??= []).AddRange(fragments);
            if (finish is not null) payload.Finish = finish;
        }
    }

    private static void ReadDelta(ref Utf8JsonReader reader, ref string? text, ref List<Fragment>? fragments)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String) text = reader.GetString();
                else reader.Skip();
            }
            else if (reader.ValueTextEquals("tool_calls"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray) ReadToolCalls(ref reader, fragments ??= []);
                else reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static void ReadToolCalls(ref Utf8JsonReader reader, List<Fragment> fragments)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            var (hasIndex, index, id, name, arguments) = (false, (int?)null, (string?)null, (string?)null, (string?)null);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("index"u8))
                {
                    hasIndex = true;
                    reader.Read();
                    index = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n) && n >= 0 ? n : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("function"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject) ReadFunction(ref reader, ref name, ref arguments);
                    else reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            fragments.Add(new Fragment(hasIndex, index, id, name, arguments));
        }
    }

    private static void ReadFunction(ref Utf8JsonReader reader, ref string? name, ref string? arguments)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isName = reader.ValueTextEquals("name"u8);
            var isArguments = !isName && reader.ValueTextEquals("arguments"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.String && (isName || isArguments))
            {
                if (isName) name = reader.GetString();
                else arguments = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static UsageReport ReadUsage(ref Utf8JsonReader reader)
    {
        var (prompt, completion) = (0, 0);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isPrompt = reader.ValueTextEquals("prompt_tokens"u8);
            var isCompletion = !isPrompt && reader.ValueTextEquals("completion_tokens"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value))
            {
                if (isPrompt) prompt = value;
                else if (isCompletion) completion = value;
            }
            else
            {
                reader.Skip();
            }
        }
        return new UsageReport(prompt, completion);
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

    private void AddToolFragment(Fragment fragment)
    {
        var index = fragment.Index ?? (_calls.Count == 0 ? 0 : _calls.Keys.Max());
        // A fragment without an index but with a new id starts a new call.
        if (!fragment.HasIndex && fragment.Id is not null && _calls.TryGetValue(index, out var existing) && existing.Id is not null && existing.Id != fragment.Id)
        {
            index++;
        }
        if (!_calls.TryGetValue(index, out var call)) _calls[index] = call = new PendingCall();
        call.Id ??= fragment.Id;
        call.Name ??= fragment.Name;
        if (fragment.Arguments is not null) call.Arguments.Append(fragment.Arguments);
    }

    private static string NormaliseFinish(string? reason, bool hasToolCalls) => reason switch
    {
        "stop" or "length" or "content_filter" or "tool_calls" => hasToolCalls && reason == "stop" ? "tool_calls" : reason,
        "function_call" => "tool_calls",
        "eos" or "end_turn" or null => hasToolCalls ? "tool_calls" : "stop",
        "max_tokens" => "length",
        _ => hasToolCalls ? "tool_calls" : "stop",
    };
}
