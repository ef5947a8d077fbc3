using System.Net;
using System.Text.Json;

namespace Parley.Tests.Errors;

// SPEC §2: every /api error is an RFC 9457 document with type, title, status and detail, and never a stack trace.
public static class ProblemAssert
{
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotContain(".cs:line", text);

        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("type").GetString()), "type is empty");
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()), "title is empty");
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), "detail is empty");
        return problem;
    }

    // A 400 whose `errors` names the field with at least one message.
    public static async Task<JsonElement> HasFieldErrorAsync(HttpResponseMessage response, string field)
    {
        var problem = await IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.TryGetProperty("errors", out var errors), $"No 'errors' in {problem}");
        Assert.True(errors.TryGetProperty(field, out var messages), $"No errors.{field} in {problem}");
        Assert.Contains(messages.EnumerateArray(), m => !string.IsNullOrWhiteSpace(m.GetString()));
        return problem;
    }

    // The parts of a problem a client can compare; traceId differs on every response.
    public static string Shape(JsonElement problem) =>
        string.Join("|", problem.EnumerateObject().Where(p => p.Name != "traceId").OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={p.Value.GetRawText()}"));
}
