using System.Text.Json;
using System.Text.Json.Nodes;

namespace Parley.Server.Providers.OpenAi;

// Builds a Chat Completions request body from a ModelRequest.
internal static class OpenAiRequestBody
{
    public static JsonObject Build(string model, ModelRequest request, bool stream, bool requestUsage, bool withTools)
    {
        var messages = new JsonArray();
        foreach (var turn in request.Messages)
        {
            var message = new JsonObject { ["role"] = turn.Role };
            if (turn.ToolCalls is { Count: > 0 } calls)
            {
                message["content"] = turn.Content.Length == 0 ? null : turn.Content;
                message["tool_calls"] = new JsonArray(calls.Select(c => (JsonNode)new JsonObject
                {
                    ["id"] = c.Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Arguments },
                }).ToArray());
            }
            else
            {
                message["content"] = turn.Content;
            }
            if (turn.ToolCallId is not null) message["tool_call_id"] = turn.ToolCallId;
            messages.Add(message);
        }

        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = messages,
            ["stream"] = stream,
        };
        if (stream && requestUsage) body["stream_options"] = new JsonObject { ["include_usage"] = true };
        if (request.MaxOutputTokens is { } max) body["max_tokens"] = max;
        if (withTools && request.Tools is { Count: > 0 } tools)
        {
            body["tools"] = new JsonArray(tools.Select(t => (JsonNode)new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject
                {
                    ["name"] = t.Name,
                    ["description"] = t.Description,
                    ["parameters"] = JsonNode.Parse(t.Parameters.GetRawText()),
                },
            }).ToArray());
        }
        return body;
    }

    public static StringContent ToContent(JsonObject body) =>
        new(body.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }),
            System.Text.Encoding.UTF8, "application/json");
}
