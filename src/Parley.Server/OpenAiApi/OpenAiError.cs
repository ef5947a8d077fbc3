using System.Globalization;
using System.Text.Json;
using Parley.Server.Providers.OpenAi;

namespace Parley.Server.OpenAiApi;

// An error in OpenAI's shape, {"error":{"message","type","param","code"}}, which the official SDKs turn into
// their own exception types by status (SPEC §9). Every /v1 failure, including auth and framework errors, uses it.
internal sealed record OpenAiError(int Status, string Type, string Code, string Message, string? Param = null, TimeSpan? RetryAfter = null)
{
    public const string PathPrefix = "/v1";

    public static bool Applies(HttpContext context) => context.Request.Path.StartsWithSegments(PathPrefix);

    public static OpenAiError Invalid(string message, string? param, string code = "invalid_request") =>
        new(400, "invalid_request_error", code, message, param);

    public static OpenAiError Unauthorized(string message) => new(401, "invalid_request_error", "invalid_api_key", message);

    public static OpenAiError ModelNotFound(string model) =>
        new(404, "invalid_request_error", "model_not_found", $"The model '{model}' does not exist. GET /v1/models lists the models you can use.", "model");

    public static OpenAiError RateLimited(string message, TimeSpan retryAfter) =>
        new(429, "requests", "rate_limit_exceeded", message, RetryAfter: retryAfter);

    public static OpenAiError QuotaExceeded(string message, TimeSpan retryAfter) =>
        new(429, "insufficient_quota", "insufficient_quota", message, RetryAfter: retryAfter);

    public static OpenAiError FromStatus(int status, string message) => status switch
    {
        401 => Unauthorized(message),
        403 => new(403, "invalid_request_error", "forbidden", message),
        404 => new(404, "invalid_request_error", "not_found", message),
        405 => new(405, "invalid_request_error", "method_not_allowed", message),
        413 => new(413, "invalid_request_error", "request_too_large", message),
        < 500 => new(status, "invalid_request_error", "invalid_request", message),
        _ => new(status, "server_error", "internal_error", message),
    };

    // How an upstream failure reaches a /v1 client: the provider's own refusal of the request stays a 400; its rate
    // limits stay a 429 the client can back off from; everything else is the gateway's 502, 503 or 504.
    public static OpenAiError FromUpstream(UpstreamFailure failure) => failure.Kind switch
    {
        UpstreamFailureKind.Rejected when failure.Status is 400 or 404 or 413 or 422 =>
            new(400, "invalid_request_error", "upstream_rejected", failure.Message),
        UpstreamFailureKind.RateLimited => new(429, "requests", failure.Code, failure.Message, RetryAfter: failure.RetryAfter ?? TimeSpan.FromSeconds(5)),
        UpstreamFailureKind.QuotaExceeded => new(429, "insufficient_quota", "upstream_quota_exceeded", failure.Message, RetryAfter: TimeSpan.FromMinutes(1)),
        UpstreamFailureKind.Timeout => new(504, "server_error", failure.Code, failure.Message),
        UpstreamFailureKind.Connect or UpstreamFailureKind.Unavailable or UpstreamFailureKind.CircuitOpen =>
            new(503, "server_error", failure.Code, failure.Message, RetryAfter: failure.RetryAfter),
        _ => new(502, "server_error", failure.Code, failure.Message),
    };

    public async Task WriteAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = Status;
        response.ContentType = "application/json";
        if (RetryAfter is { } wait)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        await response.Body.WriteAsync(ToJson(), context.RequestAborted);
    }

    // The body alone; a stream that fails after it began sends it as its last event.
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = RelayJson.Encoder }))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("message", Message);
            json.WriteString("type", Type);
            if (Param is null) json.WriteNull("param");
            else json.WriteString("param", Param);
            json.WriteString("code", Code);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
