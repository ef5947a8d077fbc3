using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Server.Providers;

namespace Parley.Server.OpenAiApi;

// A validated POST /v1/chat/completions body (SPEC §9). The body itself is kept whole: every field, including
// ones Parley does not interpret, is forwarded upstream; only the model and stream_options are rewritten.
internal sealed record CompletionRequest(
    string Model,
    bool Stream,
    bool IncludeUsage,
    int? MaxTokens,
    JsonObject Body,
    IReadOnlyList<ChatTurn> Turns)
{
    public const int MaxDepth = 64;

    // Stands in for the prompt's token count when an upstream reports no usage.
    public int PromptEstimate => Turns.Sum(t => TokenEstimator.EstimateMessage(t.Content));

    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    // Reads and checks the body; a problem is returned as the OpenAI error naming the field.
    public static async Task<(CompletionRequest? Request, OpenAiError? Error)> ReadAsync(HttpRequest http, CancellationToken ct)
    {
        JsonNode? root;
        try
        {
            root = await JsonNode.ParseAsync(http.Body, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth }, cancellationToken: ct);
        }
        catch (JsonException ex)
        {
            return (null, OpenAiError.Invalid("The request body is not valid JSON: " + ex.Message, null, "invalid_json"));
        }
        catch (ArgumentException)
        {
            // Bytes that are not UTF-8.
            return (null, OpenAiError.Invalid("The request body is not valid UTF-8 JSON.", null, "invalid_json"));
        }
        if (root is not JsonObject body) return (null, OpenAiError.Invalid("The request body must be a JSON object.", null));
        try
        {
            return (Validate(body), null);
        }
        catch (InvalidField field)
        {
            return (null, OpenAiError.Invalid(field.Message, field.Param));
        }
    }

    private static CompletionRequest Validate(JsonObject body)
    {
        var model = body["model"] is JsonValue m && m.TryGetValue<string>(out var name) && name.Length > 0
            ? name
            : throw new InvalidField("model", "'model' is required and must be a non-empty string.");

        if (body["messages"] is not JsonArray messages || messages.Count == 0)
        {
            throw new InvalidField("messages", "'messages' is required and must be a non-empty array.");
        }
        var turns = new List<ChatTurn>(messages.Count);
        for (var i = 0; i < messages.Count; i++) turns.Add(ReadMessage(messages[i], $"messages[{i}]"));

        var stream = OptionalBool(body, "stream") ?? false;
        var includeUsage = false;
        if (body["stream_options"] is { } options)
        {
            if (options is not JsonObject optionsObject) throw new InvalidField("stream_options", "'stream_options' must be an object.");
            includeUsage = OptionalBool(optionsObject, "include_usage", "stream_options.include_usage") ?? false;
        }

        if (OptionalInteger(body, "n") is { } n && n != 1) throw new InvalidField("n", "Only n = 1 is supported.");
        var maxTokens = (int?)Math.Min(OptionalInteger(body, "max_completion_tokens") ?? OptionalInteger(body, "max_tokens") ?? long.MaxValue, int.MaxValue);
        if (maxTokens == int.MaxValue) maxTokens = null;
        foreach (var field in (ReadOnlySpan<string>)["max_tokens", "max_completion_tokens"])
        {
            if (OptionalInteger(body, field) is < 1) throw new InvalidField(field, $"'{field}' must be at least 1.");
        }
        OptionalNumber(body, "temperature", 0, 2);
        OptionalNumber(body, "top_p", 0, 1);
        OptionalNumber(body, "frequency_penalty", -2, 2);
        OptionalNumber(body, "presence_penalty", -2, 2);
        OptionalInteger(body, "seed");
        CheckStop(body["stop"]);
        CheckTools(body["tools"]);
        if (body["tool_choice"] is { } choice && choice is not JsonObject && !IsString(choice))
        {
            throw new InvalidField("tool_choice", "'tool_choice' must be a string such as \"auto\" or an object naming a function.");
        }
        if (body["response_format"] is { } format && format is not JsonObject)
        {
            throw new InvalidField("response_format", "'response_format' must be an object such as {\"type\":\"json_object\"}.");
        }
        if (body["user"] is { } user && !IsString(user)) throw new InvalidField("user", "'user' must be a string.");

        return new CompletionRequest(model, stream, includeUsage, maxTokens, body, turns);
    }

    private static ChatTurn ReadMessage(JsonNode? node, string path)
    {
        if (node is not JsonObject message) throw new InvalidField(path, $"'{path}' must be an object with a role and content.");
        var role = message["role"] is JsonValue r && r.TryGetValue<string>(out var roleName) ? roleName : null;
        if (role is null || !Roles.Contains(role))
        {
            throw new InvalidField($"{path}.role", $"'{path}.role' must be one of system, developer, user, assistant or tool.");
        }

        var hasToolCalls = message["tool_calls"] is JsonArray;
        if (message["tool_calls"] is { } calls && calls is not JsonArray) throw new InvalidField($"{path}.tool_calls", $"'{path}.tool_calls' must be an array.");
        string content;
        switch (message["content"])
        {
            case JsonValue value when value.TryGetValue<string>(out var text):
                content = text;
                break;
            case JsonArray parts:
                content = ReadParts(parts, $"{path}.content");
                break;
            case null when role == "assistant" && (hasToolCalls || message["function_call"] is not null || message.ContainsKey("content")):
                content = "";
                break;
            default:
                throw new InvalidField($"{path}.content", $"'{path}.content' must be a string or an array of content parts.");
        }

        string? toolCallId = null;
        if (role == "tool")
        {
            toolCallId = message["tool_call_id"] is JsonValue id && id.TryGetValue<string>(out var callId) && callId.Length > 0
                ? callId
                : throw new InvalidField($"{path}.tool_call_id", $"'{path}.tool_call_id' is required on a tool message.");
        }
        return new ChatTurn(role, content, ToolCallId: toolCallId);
    }

    // Content parts: text parts are joined for models that take plain text; other part types (images, audio)
    // are forwarded to the upstream as they are.
    private static string ReadParts(JsonArray parts, string path)
    {
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < parts.Count; i++)
        {
            if (parts[i] is not JsonObject part || part["type"] is not JsonValue type || !type.TryGetValue<string>(out var kind))
            {
                throw new InvalidField($"{path}[{i}]", $"'{path}[{i}]' must be an object with a 'type'.");
            }
            if (kind != "text") continue;
            if (part["text"] is not JsonValue value || !value.TryGetValue<string>(out var partText))
            {
                throw new InvalidField($"{path}[{i}].text", $"'{path}[{i}].text' must be a string.");
            }
            if (text.Length > 0) text.Append('\n');
            text.Append(partText);
        }
        return text.ToString();
    }

    private static void CheckStop(JsonNode? stop)
    {
        if (stop is null || IsString(stop)) return;
        if (stop is JsonArray list && list.Count <= 4 && list.All(IsString)) return;
        throw new InvalidField("stop", "'stop' must be a string or an array of at most 4 strings.");
    }

    private static void CheckTools(JsonNode? tools)
    {
        if (tools is null) return;
        if (tools is not JsonArray list) throw new InvalidField("tools", "'tools' must be an array.");
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject tool || tool["function"] is not JsonObject function
                || function["name"] is not JsonValue name || !name.TryGetValue<string>(out var toolName) || toolName.Length == 0)
            {
                throw new InvalidField($"tools[{i}]", $"'tools[{i}]' must be {{\"type\":\"function\",\"function\":{{\"name\":…}}}}.");
            }
        }
    }

    private static bool IsString(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.String;

    private static bool? OptionalBool(JsonObject body, string field, string? param = null)
    {
        return body[field] switch
        {
            null => null,
            JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => value.GetValue<bool>(),
            _ => throw new InvalidField(param ?? field, $"'{param ?? field}' must be true or false."),
        };
    }

    private static long? OptionalInteger(JsonObject body, string field)
    {
        return body[field] switch
        {
            null => (long?)null,
            JsonValue value when value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var number) => number,
            _ => throw new InvalidField(field, $"'{field}' must be an integer."),
        };
    }

    private static void OptionalNumber(JsonObject body, string field, double min, double max)
    {
        switch (body[field])
        {
            case null:
                return;
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<double>(out var number):
                if (number < min || number > max) throw new InvalidField(field, $"'{field}' must be between {min} and {max}.");
                return;
            default:
                throw new InvalidField(field, $"'{field}' must be a number.");
        }
    }

    private sealed class InvalidField(string param, string message) : Exception(message)
    {
        public string Param { get; } = param;
    }
}
