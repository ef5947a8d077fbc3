namespace FakeLlm;

internal static class ApiKeyGuard
{
    public static bool IsAuthorized(HttpContext context, string? apiKey) =>
        apiKey is null || context.Request.Headers.Authorization.ToString() == $"Bearer {apiKey}";

    public static Task RejectAsync(HttpContext context) =>
        ErrorResponses.WriteAsync(
            context,
            StatusCodes.Status401Unauthorized,
            "Incorrect API key provided.",
            "invalid_api_key");
}
