using System.Text.Json;
using Parley.Server.Infrastructure;

namespace Parley.Server.Realtime;

// A frame from the client, already checked for shape (SPEC §6): a JSON object whose "type" names one of the
// commands below, with its fields of the right JSON types. Anything else is a Bad frame, answered with an
// error frame while the socket stays open.
internal abstract record ClientFrame
{
    public sealed record UserMessage(string SessionId, string? Content, string? ClientMessageId, string? Model, string? PersonaId) : ClientFrame;

    public sealed record Subscribe(string MessageId, long? After) : ClientFrame;

    public sealed record Cancel(string MessageId) : ClientFrame;

    public sealed record Ping : ClientFrame;

    public sealed record Bad(string Reason, string? MessageId = null, string? ClientMessageId = null) : ClientFrame;

    public static ClientFrame Parse(ReadOnlyMemory<byte> utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8);
        }
        catch (JsonException)
        {
            return new Bad("The frame is not valid JSON.");
        }

        using (document)
        {
            var frame = document.RootElement;
            if (frame.ValueKind != JsonValueKind.Object) return new Bad("A frame must be a JSON object.");
            // Echoed on the error frame when they can be read, so the client can tell which command failed.
            var messageId = Peek(frame, "messageId");
            var clientMessageId = Peek(frame, "clientMessageId");
            try
            {
                return Required(frame, "type") switch
                {
                    "user_message" => new UserMessage(Required(frame, "sessionId"), String(frame, "content"), String(frame, "clientMessageId"),
                        String(frame, "model"), String(frame, "personaId")),
                    "subscribe" => new Subscribe(Required(frame, "messageId"), Integer(frame, "after")),
                    "cancel" => new Cancel(Required(frame, "messageId")),
                    "ping" => new Ping(),
                    var type => throw new FrameException($"Unknown frame type '{(type.Length > 40 ? type[..40] + "…" : type)}'."),
                };
            }
            catch (FrameException e)
            {
                return new Bad(e.Message, messageId, clientMessageId);
            }
        }
    }

    private static string Required(JsonElement frame, string name) =>
        String(frame, name) ?? throw new FrameException($"The field '{name}' is required.");

    private static string? String(JsonElement frame, string name)
    {
        if (!frame.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String) throw new FrameException($"The field '{name}' must be a string.");
        var text = value.GetString();
        return StoredText.IsStorable(text) ? text : throw new FrameException($"The field '{name}' is invalid. {StoredText.NulMessage}");
    }

    private static long? Integer(JsonElement frame, string name)
    {
        if (!frame.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
            ? number
            : throw new FrameException($"The field '{name}' must be an integer.");
    }

    private static string? Peek(JsonElement frame, string name) =>
        frame.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private sealed class FrameException(string message) : Exception(message);
}
