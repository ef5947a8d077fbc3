using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Parley.Tests.Auth;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Errors;

public sealed class ErrorTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private const int OneMiB = 1024 * 1024;

    [Fact]
    public async Task Not_found_is_an_rfc9457_problem_document()
    {
        using var user = await fixture.SignedInAsync();

        var response = await user.Http.GetAsync("/api/sessions/ses_does_not_exist");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task An_unknown_api_route_is_a_404_problem_document()
    {
        using var user = await fixture.SignedInAsync();

        await ProblemAssert.IsProblemAsync(await user.Http.GetAsync("/api/no-such-thing"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("/api/sessions", "{\"title\": ")]
    [InlineData("/api/sessions", "not json at all")]
    [InlineData("/api/sessions", "{\"title\": 5}")]
    [InlineData("/api/keys", "[1, 2")]
    public async Task Malformed_json_is_a_400_problem_that_names_the_problem_without_a_stack_trace(string url, string body)
    {
        using var user = await fixture.SignedInAsync();

        var response = await user.Http.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json"));

        // ProblemAssert also checks that detail is not empty and carries no "   at " frame or ".cs:line".
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.DoesNotContain("Exception", problem.GetProperty("detail").GetString()!);
        Assert.Empty((await user.GetAsync("/api/sessions")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Malformed_json_on_an_anonymous_route_is_a_400_problem()
    {
        using var http = RawHttp.Client(fixture.App);

        var response = await http.PostAsync("/api/auth/register", new StringContent("{\"username\": \"x\",", Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_body_over_1_MiB_with_a_Content_Length_is_refused_with_413()
    {
        using var user = await fixture.SignedInAsync();
        var sessionId = (await user.CreateSessionAsync()).Str("id");
        var content = new ByteArrayContent(OversizedSend());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        Assert.True(content.Headers.ContentLength > OneMiB);
        // The server refuses on the declared length without reading the body. With Expect: 100-continue the
        // client waits for that answer instead of racing the refusal with its upload (which can end in a reset).
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sessions/{sessionId}/messages") { Content = content };
        request.Headers.ExpectContinue = true;

        var response = await user.Http.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, (await user.GetAsync($"/api/sessions/{sessionId}")).GetProperty("messageCount").GetInt32());
    }

    [Fact]
    public async Task A_chunked_body_over_1_MiB_without_a_length_is_refused_with_413()
    {
        using var user = await fixture.SignedInAsync();
        var sessionId = (await user.CreateSessionAsync()).Str("id");
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sessions/{sessionId}/messages") { Content = new UnsizedContent(OversizedSend()) };

        var response = await user.Http.SendAsync(request);

        Assert.True(request.Headers.TransferEncodingChunked ?? false, "The request was not sent chunked.");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, (await user.GetAsync($"/api/sessions/{sessionId}")).GetProperty("messageCount").GetInt32());
    }

    [Fact]
    public async Task A_chunked_body_under_1_MiB_is_accepted()
    {
        // The chunked path itself works: only the size makes the previous test fail.
        using var user = await fixture.SignedInAsync();
        var sessionId = (await user.CreateSessionAsync()).Str("id");
        var body = Encoding.UTF8.GetBytes("{\"content\":\"hello over chunks\"}");
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sessions/{sessionId}/messages") { Content = new UnsizedContent(body) };

        var response = await user.Http.SendAsync(request);

        var pair = await ParleyClient.ExpectAsync(response, HttpStatusCode.Accepted);
        Assert.Equal("hello over chunks", pair.GetProperty("userMessage").Str("content"));
    }

    [Fact]
    public async Task Content_over_MaxMessageChars_is_a_400_with_a_content_error()
    {
        using var user = await fixture.SignedInAsync();
        var sessionId = (await user.CreateSessionAsync()).Str("id");

        var tooLong = await user.Http.PostAsJsonAsync($"/api/sessions/{sessionId}/messages", new { content = new string('a', 32_001) });
        await ProblemAssert.HasFieldErrorAsync(tooLong, "content");
        var empty = await user.Http.PostAsJsonAsync($"/api/sessions/{sessionId}/messages", new { content = "" });
        await ProblemAssert.HasFieldErrorAsync(empty, "content");
        Assert.Equal(0, (await user.GetAsync($"/api/sessions/{sessionId}")).GetProperty("messageCount").GetInt32());

        var (sent, _) = await user.SendAsync(sessionId, new string('a', 32_000));
        Assert.Equal(32_000, sent.Str("content").Length);
    }

    [Fact]
    public async Task MaxMessageChars_comes_from_configuration()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?> { ["Parley:Limits:MaxMessageChars"] = "50" });
        using var user = app.NewClient();
        await user.SignUpAsync();
        var sessionId = (await user.CreateSessionAsync()).Str("id");

        var tooLong = await user.Http.PostAsJsonAsync($"/api/sessions/{sessionId}/messages", new { content = new string('b', 51) });

        await ProblemAssert.HasFieldErrorAsync(tooLong, "content");
        await user.SendAsync(sessionId, new string('b', 50));
    }

    [Fact]
    public async Task Title_over_200_characters_is_a_400_with_a_title_error_on_create_and_patch()
    {
        using var user = await fixture.SignedInAsync();

        var create = await user.Http.PostAsJsonAsync("/api/sessions", new { title = new string('t', 201) });
        await ProblemAssert.HasFieldErrorAsync(create, "title");
        Assert.Empty((await user.GetAsync("/api/sessions")).GetProperty("items").EnumerateArray());

        var session = await user.CreateSessionAsync(new { title = new string('t', 200) });
        Assert.Equal(200, session.Str("title").Length);

        var patch = await user.Http.PatchAsJsonAsync($"/api/sessions/{session.Str("id")}", new { title = new string('p', 201) });
        await ProblemAssert.HasFieldErrorAsync(patch, "title");
        Assert.Equal(new string('t', 200), (await user.GetAsync($"/api/sessions/{session.Str("id")}")).Str("title"));
    }

    // A send whose JSON is valid and whose content is about 1.1 MiB.
    private static byte[] OversizedSend() =>
        Encoding.UTF8.GetBytes("{\"content\":\"" + new string('x', OneMiB + OneMiB / 10) + "\"}");

    // Content with no known length, so HttpClient sends it with Transfer-Encoding: chunked.
    private sealed class UnsizedContent : HttpContent
    {
        private readonly byte[] _bytes;

        public UnsizedContent(byte[] bytes)
        {
            _bytes = bytes;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            const int chunk = 64 * 1024;
            for (var offset = 0; offset < _bytes.Length; offset += chunk)
            {
                await stream.WriteAsync(_bytes.AsMemory(offset, Math.Min(chunk, _bytes.Length - offset)));
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
