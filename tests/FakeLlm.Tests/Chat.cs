using System.Text.Json.Nodes;

namespace FakeLlm.Tests;

internal static class Chat
{
    public static JsonObject Request(
        string model,
        JsonObject[] messages,
        bool stream = false,
        bool includeUsage = false,
        int? maxTokens = null)
    {
        var body = new JsonObject { ["model"] = model, ["messages"] = new JsonArray(messages) };
        if (stream)
        {
            body["stream"] = true;
        }

        if (includeUsage)
        {
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        if (maxTokens is int max)
        {
            body["max_tokens"] = max;
        }

        return body;
    }

    public static JsonObject Request(string model, string userText, bool stream = false, bool includeUsage = false) =>
        Request(model, [User(userText)], stream, includeUsage);

    public static JsonObject System(string text) => Message("system", text);

    public static JsonObject User(string text) => Message("user", text);

    public static JsonObject Assistant(string text) => Message("assistant", text);

    public static JsonObject Message(string role, string text) => new() { ["role"] = role, ["content"] = text };
}
