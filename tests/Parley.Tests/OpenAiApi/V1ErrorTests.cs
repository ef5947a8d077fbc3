using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.OpenAiApi;

// Every /v1 failure answers in OpenAI's error shape with the status the SDKs map to their exception types.
public sealed class V1ErrorTests(V1Fixture fixture) : IClassFixture<V1Fixture>
{
    private HttpClient Http => fixture.App.NewClient().Http;

    [Theory]
    [InlineData("{not json", null, "invalid_json")]
    [InlineData("[1,2]", null, "invalid_request")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "model", "invalid_request")]
    [InlineData("""{"model":"fake","messages":[]}""", "messages", "invalid_request")]
    [InlineData("""{"model":"fake","messages":[{"role":"wizard","content":"hi"}]}""", "messages[0].role", "invalid_request")]
    [InlineData("""{"model":"fake","messages":[{"role":"user","content":42}]}""", "messages[0].content", "invalid_request")]
    [InlineData("""{"model":"fake","messages":[{"role":"user","content":[{"type":"text"}]}]}""", "messages[0].content[0].text", "invalid_request")]
    [InlineData("""{"model":"fake","messages":[{"role":"tool","content":"x"}]}""", "messages[0].tool_call_id", "invalid_request")]
    [InlineData("""{"model":"fake","messages":[{"role":"user","content":"hi"}],"n":2}""", "n", "invalid_request")]
    [InlineData("""{"model":"fake","messages":[{"role":"user","content":"hi"}],"stream":"yes"}""", "stream", "invalid_request")]
    [InlineData("""{"model":"fake","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}""", "temperature", "invalid_request")]
    [InlineData("""{"model":"fake","messages":[{"role":"user","content":"hi"}],"max_tokens":0}""", "max_tokens", "invalid_request")]
    [InlineData("""{"model":"fake","messages":[{"role":"user","content":"hi"}],"stop":["a","b","c","d","e"]}""", "stop", "invalid_request")]
    [InlineData("""{"model":"fake","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function"}]}""", "tools[0]", "invalid_request")]
    [InlineData("""{"model":"fake","messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":"yes"}}""", "stream_options.include_usage", "invalid_request")]
    public async Task A_bad_body_is_a_400_naming_the_field(string body, string? param, string code)
    {
        var (_, key) = await fixture.NewCallerAsync();
        using var response = await Http.SendAsync(V1Wire.Post(key, body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var error = V1Wire.Error(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        if (param is null) Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        else Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Missing_wrong_or_cookie_credentials_are_a_401()
    {
        var anonymous = Http;
        using var none = await anonymous.PostAsync("/v1/chat/completions", new StringContent(V1Wire.Body("fake", "hi"), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("invalid_api_key", V1Wire.Error(await none.Content.ReadAsStringAsync()).GetProperty("code").GetString());

        using var wrong = await Http.SendAsync(V1Wire.Post("pk_wrong", V1Wire.Body("fake", "hi")));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        V1Wire.Error(await wrong.Content.ReadAsStringAsync());

        // A browser session is not a key: /v1 is for programs, and its usage is accounted per key.
        var browser = fixture.App.NewClient();
        await browser.SignUpAsync();
        using var cookie = await browser.Http.PostAsync("/v1/chat/completions", new StringContent(V1Wire.Body("fake", "hi"), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, cookie.StatusCode);
        V1Wire.Error(await cookie.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_unknown_model_is_a_404_model_not_found()
    {
        var (_, key) = await fixture.NewCallerAsync();
        using var response = await Http.SendAsync(V1Wire.Post(key, V1Wire.Body("gpt-nonexistent", "hi", stream: true)));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = V1Wire.Error(await response.Content.ReadAsStringAsync());
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Equal("model", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Unknown_routes_and_oversized_bodies_answer_in_the_openai_shape()
    {
        var (_, key) = await fixture.NewCallerAsync();
        using var route = await Http.SendAsync(V1Wire.Post(key, "{}", "/v1/embeddings"));
        Assert.Equal(HttpStatusCode.NotFound, route.StatusCode);
        V1Wire.Error(await route.Content.ReadAsStringAsync());

        var huge = V1Wire.Body("fake", new string('x', 1_100_000));
        // The server answers from the declared length and closes the connection; a client that was still writing
        // the body would get a broken pipe instead of the answer. With 100-continue it waits for the go-ahead.
        var oversized = V1Wire.Post(key, huge);
        oversized.Headers.ExpectContinue = true;
        using var tooLarge = await Http.SendAsync(oversized);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("request_too_large", V1Wire.Error(await tooLarge.Content.ReadAsStringAsync()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task The_upstreams_refusal_and_rate_limit_keep_their_status()
    {
        var (_, key) = await fixture.NewCallerAsync();
        using var refused = await Http.SendAsync(V1Wire.Post(key, V1Wire.Body(V1Fixture.UpstreamRefuses, "hi")));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("upstream_rejected", V1Wire.Error(await refused.Content.ReadAsStringAsync()).GetProperty("code").GetString());

        using var limited = await Http.SendAsync(V1Wire.Post(key, V1Wire.Body(V1Fixture.Throttled, "hi", stream: true)));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.Equal("upstream_rate_limited", V1Wire.Error(await limited.Content.ReadAsStringAsync()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Models_are_listed_in_the_openai_shape()
    {
        var (_, key) = await fixture.NewCallerAsync();
        var http = Http;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var list = await ParleyClient.ExpectAsync(await http.GetAsync("/v1/models"), HttpStatusCode.OK);

        Assert.Equal("list", list.Str("object"));
        var ids = list.GetProperty("data").EnumerateArray().Select(m => m.Str("id")).ToList();
        Assert.Contains("demo", ids);
        Assert.Contains("fake", ids);
        Assert.All(list.GetProperty("data").EnumerateArray(), m => Assert.Equal("model", m.Str("object")));
    }
}
