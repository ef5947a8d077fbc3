using System.Text;

namespace FakeLlm;

internal static class ErrorResponses
{
    // Mirrors how OpenAI classifies failures, so clients' retry logic sees familiar values.
    public static string TypeFor(int status) => status switch
    {
        429 => "rate_limit_exceeded",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    public static string? DefaultCodeFor(int status) => status switch
    {
        401 => "invalid_api_key",
        429 => "rate_limit_exceeded",
        >= 500 => "server_error",
        _ => null,
    };

    public static async Task WriteAsync(
        HttpContext context,
        int status,
        string message,
        string? code = null,
        string? param = null,
        string? retryAfter = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        var body = OpenAiJson.Error(message, TypeFor(status), code ?? DefaultCodeFor(status), param);
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(OpenAiJson.Serialize(body)), context.RequestAborted);
    }
}
