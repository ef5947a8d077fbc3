using System.Text.Json.Nodes;
using Parley.Server.Providers;

namespace Parley.Server.OpenAiApi;

// The body sent upstream: the client's own, field for field, with the route step's model name, and usage asked
// for in the stream (when the provider accepts stream_options) so that every call can be accounted.
internal static class UpstreamBody
{
    public static JsonObject For(RouteStep step, CompletionRequest request)
    {
        var body = request.Body;
        body["model"] = step.Model;
        body["stream"] = request.Stream;
        if (!request.Stream)
        {
            // OpenAI refuses stream_options on a request that does not stream.
            body.Remove("stream_options");
        }
        else if (step.Provider.Options.RequestUsage)
        {
            if (body["stream_options"] is not JsonObject options) body["stream_options"] = options = new JsonObject();
            options["include_usage"] = true;
        }
        return body;
    }
}

internal static class UsageJson
{
    public static JsonObject Of(int prompt, int completion) => new()
    {
        ["prompt_tokens"] = prompt,
        ["completion_tokens"] = completion,
        ["total_tokens"] = prompt + completion,
    };
}
