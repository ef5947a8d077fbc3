using System.Buffers;
using System.Text.Json;
using Parley.Server.Providers;

namespace Parley.Server.OpenAiApi;

internal enum ChunkKind
{
    // A chat.completion(.chunk) with choices: written out.
    Chunk,
    // A chunk with no choices that only reports usage.
    UsageOnly,
    // {"error": …}: the upstream gave up.
    Error,
}

// What one upstream JSON document said, and where its id and model values are.
internal sealed class ChunkFacts
{
    public ChunkKind Kind;
    public bool Finished;
    public int? PromptTokens;
    public int? CompletionTokens;
    internal (int Start, int End) IdSpan;
    internal (int Start, int End) ModelSpan;
}

// Copies one upstream completion or chunk to the client with only two values replaced: the top-level "id" (one
// stable id for the whole response, whichever upstream attempt answered) and "model" (the model the client
// asked for, not the upstream's or a fallback's name). Every other byte, including fields Parley does not
// know such as reasoning_content, logprobs or system_fingerprint, goes through untouched. The same forward-only
// pass notes usage, a finish_reason and the amount of text, which accounting needs; nothing is re-serialised.
internal sealed class ChunkRewriter(string id, string model)
{
    public string Id { get; } = id;

    private readonly byte[] _id = JsonSerializer.SerializeToUtf8Bytes(id, RelayJson.Options);
    private readonly byte[] _model = JsonSerializer.SerializeToUtf8Bytes(model, RelayJson.Options);

    // Characters of text seen so far, for estimating completion tokens when the upstream reports no usage.
    public TokenCounter Text { get; } = new();

    // Reads one document in a single forward pass. Throws JsonException when it is not one valid JSON object.
    public ChunkFacts Inspect(ReadOnlySpan<byte> json)
    {
        var facts = new ChunkFacts { Kind = ChunkKind.Chunk };
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = CompletionRequest.MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new JsonException("A chunk must be a JSON object.");

        var choices = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String) facts.IdSpan = ((int)reader.TokenStartIndex, (int)reader.BytesConsumed);
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String) facts.ModelSpan = ((int)reader.TokenStartIndex, (int)reader.BytesConsumed);
            }
            else if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                choices = reader.TokenType == JsonTokenType.StartArray ? ReadChoices(ref reader, facts) : 0;
                if (reader.TokenType is JsonTokenType.StartObject) reader.Skip();
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject) ReadUsage(ref reader, facts);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                facts.Kind = ChunkKind.Error;
                reader.Read();
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) throw new JsonException("A chunk must be one JSON object.");
        if (facts.Kind == ChunkKind.Chunk && choices <= 0 && facts.PromptTokens is not null) facts.Kind = ChunkKind.UsageOnly;

        return facts;
    }

    // Writes the inspected document with the id and model replaced.
    public void Write(ReadOnlySpan<byte> json, ChunkFacts facts, IBufferWriter<byte> output)
    {
        var (idSpan, modelSpan) = (facts.IdSpan, facts.ModelSpan);
        var position = 0;
        if (idSpan.Start <= modelSpan.Start)
        {
            position = Replace(json, position, idSpan, _id, output);
            position = Replace(json, position, modelSpan, _model, output);
        }
        else
        {
            position = Replace(json, position, modelSpan, _model, output);
            position = Replace(json, position, idSpan, _id, output);
        }
        output.Write(json[position..]);
    }

    // Writes what comes before the value, then the replacement; returns where the copy goes on.
    private static int Replace(ReadOnlySpan<byte> json, int position, (int Start, int End) value, byte[] replacement, IBufferWriter<byte> output)
    {
        if (value.End == 0) return position;
        output.Write(json[position..value.Start]);
        output.Write(replacement);
        return value.End;
    }

    // Walks the choices array; returns how many there were.
    private int ReadChoices(ref Utf8JsonReader reader, ChunkFacts facts)
    {
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            count++;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("finish_reason"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String) facts.Finished = true;
                }
                else if (reader.ValueTextEquals("delta"u8) || reader.ValueTextEquals("message"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject) CountText(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        return count;
    }

    // Counts the content (and tool-call arguments) of a delta or message.
    private void CountText(ref Utf8JsonReader reader)
    {
        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            if (reader.TokenType != JsonTokenType.PropertyName) continue;
            var counted = reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("arguments"u8);
            reader.Read();
            if (counted && reader.TokenType == JsonTokenType.String) AddText(ref reader);
        }
    }

    private void AddText(ref Utf8JsonReader reader)
    {
        var length = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
        var rented = ArrayPool<char>.Shared.Rent(length);
        try
        {
            Text.Add(rented.AsSpan(0, reader.CopyString(rented)));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    private static void ReadUsage(ref Utf8JsonReader reader, ChunkFacts facts)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var prompt = reader.ValueTextEquals("prompt_tokens"u8);
            var completion = reader.ValueTextEquals("completion_tokens"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value))
            {
                if (prompt) facts.PromptTokens = value;
                else if (completion) facts.CompletionTokens = value;
            }
            else
            {
                reader.Skip();
            }
        }
    }
}
