using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FakeLlm;

internal sealed record CompletionIdentity(string Id, long Created, string Model);

// Builders for the OpenAI wire shapes, kept in one place so every responder emits the same fields.
internal static class OpenAiJson
{
    // Raw UTF-8 on the wire (not \uXXXX escapes) is what split_utf8 needs to cut inside characters.
    private static readonly JsonSerializerOptions WireOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    // The same output as WireOptions, for the chunks written straight to a Utf8JsonWriter.
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize(JsonNode node) => node.ToJsonString(WireOptions);

    public static void Write(Utf8JsonWriter writer, JsonNode node) => node.WriteTo(writer, WireOptions);

    public static JsonObject Error(string message, string type, string? code, string? param = null) => new()
    {
        ["error"] = new JsonObject
        {
            ["message"] = message,
            ["type"] = type,
            ["param"] = param,
            ["code"] = code,
        },
    };

    public static JsonObject Usage(Reply reply) => new()
    {
        ["prompt_tokens"] = reply.PromptTokens,
        ["completion_tokens"] = reply.CompletionTokens,
        ["total_tokens"] = reply.PromptTokens + reply.CompletionTokens,
    };

    // A streamed chunk is written field by field rather than built as a tree and serialised: it is FakeLlm's hot
    // path under the bench. The bytes are those a JsonObject of these fields, in this order, serialises to.
    public static void WriteChunk(Utf8JsonWriter writer, CompletionIdentity identity, JsonObject delta, string? finishReason)
    {
        WriteChoiceUpToDelta(writer, identity);
        Write(writer, delta);
        WriteChoiceAfterDelta(writer, finishReason);
    }

    // The same bytes as WriteChunk with a delta of {"content": text}, without building the delta.
    public static void WriteTextChunk(Utf8JsonWriter writer, CompletionIdentity identity, string text, string? finishReason)
    {
        WriteChoiceUpToDelta(writer, identity);
        writer.WriteStartObject();
        writer.WriteString("content", text);
        writer.WriteEndObject();
        WriteChoiceAfterDelta(writer, finishReason);
    }

    private static void WriteChoiceUpToDelta(Utf8JsonWriter writer, CompletionIdentity identity)
    {
        WriteChunkEnvelope(writer, identity);
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WritePropertyName("delta");
    }

    private static void WriteChoiceAfterDelta(Utf8JsonWriter writer, string? finishReason)
    {
        writer.WriteString("finish_reason", finishReason);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    public static void WriteUsageChunk(Utf8JsonWriter writer, CompletionIdentity identity, Reply reply)
    {
        WriteChunkEnvelope(writer, identity);
        writer.WriteStartArray("choices");
        writer.WriteEndArray();
        writer.WritePropertyName("usage");
        Write(writer, Usage(reply));
        writer.WriteEndObject();
    }

    public static JsonObject ToolCallDelta(ToolCallReply call, int fragmentIndex)
    {
        // Only the first fragment names the call, exactly like real servers.
        var entry = fragmentIndex == 0
            ? new JsonObject
            {
                ["index"] = 0,
                ["id"] = call.Id,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.Fragments[0] },
            }
            : new JsonObject
            {
                ["index"] = 0,
                ["function"] = new JsonObject { ["arguments"] = call.Fragments[fragmentIndex] },
            };
        return new JsonObject { ["tool_calls"] = new JsonArray(entry) };
    }

    public static JsonObject Completion(CompletionIdentity identity, Reply reply, string? reasoning, bool includeUsage)
    {
        var message = new JsonObject { ["role"] = "assistant" };
        if (reasoning is not null)
        {
            message["reasoning_content"] = reasoning;
        }

        if (reply.ToolCall is { } call)
        {
            message["content"] = reply.Tokens.Count > 0 ? reply.Text : null;
            message["tool_calls"] = new JsonArray(new JsonObject
            {
                ["id"] = call.Id,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.Arguments },
            });
        }
        else
        {
            message["content"] = reply.Text;
        }

        var completion = new JsonObject
        {
            ["id"] = identity.Id,
            ["object"] = "chat.completion",
            ["created"] = identity.Created,
            ["model"] = identity.Model,
            ["system_fingerprint"] = Fingerprint,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = message,
                ["finish_reason"] = reply.FinishReason,
            }),
        };
        if (includeUsage)
        {
            completion["usage"] = Usage(reply);
        }

        return completion;
    }

    // Two fields a client does not interpret ride on every chunk, so that a relay can be checked to pass such
    // fields through: OpenAI's system_fingerprint, and the send time on the machine's monotonic clock
    // (Stopwatch, in nanoseconds), from which a client on the same machine measures per-token latency.
    public const string Fingerprint = "fp_fakellm";
    public const string SentAtField = "x_sent_ns";

    public static long MonotonicNanoseconds() => (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));

    // Opens the chunk object and writes every field before "choices".
    private static void WriteChunkEnvelope(Utf8JsonWriter writer, CompletionIdentity identity)
    {
        writer.WriteStartObject();
        writer.WriteString("id", identity.Id);
        writer.WriteString("object", "chat.completion.chunk");
        writer.WriteNumber("created", identity.Created);
        writer.WriteString("model", identity.Model);
        writer.WriteString("system_fingerprint", Fingerprint);
        writer.WriteNumber(SentAtField, MonotonicNanoseconds());
    }
}
