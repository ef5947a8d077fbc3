using System.Text.Json;

namespace FakeLlm;

internal sealed record ChatMessage(string Role, string Text);

internal sealed record ChatRequest(
    string Model,
    IReadOnlyList<ChatMessage> Messages,
    bool Stream,
    bool IncludeUsage,
    int? MaxTokens)
{
    public static bool TryParse(JsonElement body, out ChatRequest request, out (string Message, string? Param) error)
    {
        request = null!;
        error = default;
        if (body.ValueKind != JsonValueKind.Object)
        {
            error = ("Request body must be a JSON object.", null);
            return false;
        }

        if (!body.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String
            || string.IsNullOrEmpty(model.GetString()))
        {
            error = ("you must provide a model parameter", "model");
            return false;
        }

        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array
            || messages.GetArrayLength() == 0)
        {
            error = ("'messages' must be a non-empty array.", "messages");
            return false;
        }

        var parsed = new List<ChatMessage>();
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object
                || !message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
            {
                error = ("Each message needs a string 'role'.", "messages");
                return false;
            }

            parsed.Add(new ChatMessage(role.GetString()!, ContentText(message)));
        }

        var stream = body.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        var includeUsage = stream
            && body.TryGetProperty("stream_options", out var options) && options.ValueKind == JsonValueKind.Object
            && options.TryGetProperty("include_usage", out var usage) && usage.ValueKind == JsonValueKind.True;

        request = new ChatRequest(model.GetString()!, parsed, stream, includeUsage, ReadMaxTokens(body));
        return true;
    }

    // Newer clients send max_completion_tokens; it takes precedence like on the real API.
    private static int? ReadMaxTokens(JsonElement body)
    {
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
                && value.TryGetInt32(out var n))
            {
                return n;
            }
        }

        return null;
    }

    private static string ContentText(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return "";
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        var texts = new List<string>();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object
                && part.TryGetProperty("type", out var type) && type.ValueEquals("text")
                && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            {
                texts.Add(text.GetString()!);
            }
        }

        return string.Join("\n", texts);
    }
}
