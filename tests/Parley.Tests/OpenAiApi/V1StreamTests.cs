using System.Net;
using System.Text.Json;
using FakeLlm;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.OpenAiApi;

// The /v1 stream on the wire: what passes through untouched, what Parley rewrites, and how failures end it.
public sealed class V1StreamTests(V1Fixture fixture) : IClassFixture<V1Fixture>
{
    private HttpClient Http => fixture.App.NewClient().Http;

    [Fact]
    public async Task Fields_parley_does_not_interpret_pass_through_both_ways()
    {
        var (_, key) = await fixture.NewCallerAsync();
        fixture.Fake.Inspector.Clear();
        var body = V1Wire.Body(V1Fixture.Reasoning, "think first", stream: true,
            extra: ""","seed":7,"logit_bias":{"42":-5},"x_vendor_option":{"depth":3},"user":"alice@example.com" """);

        using var response = await Http.SendAsync(V1Wire.Post(key, body), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var data = await V1Wire.ReadDataAsync(response);

        // Upstream → client: FakeLlm's own fields on every chunk, and the reasoning deltas, arrive as sent.
        var chunks = data.Where(d => d != "[DONE]").Select(d => JsonDocument.Parse(d).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("fp_fakellm", c.GetProperty("system_fingerprint").GetString()));
        Assert.All(chunks, c => Assert.Equal(JsonValueKind.Number, c.GetProperty("x_sent_ns").ValueKind));
        var reasoning = chunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
            .Where(d => d.TryGetProperty("reasoning_content", out _)).Select(d => d.GetProperty("reasoning_content").GetString());
        Assert.Equal(["Thinking about ", "the request."], reasoning);

        // Client → upstream: fields Parley does not read are forwarded as they were.
        var sent = fixture.Fake.Inspector.Requests.Single().Body;
        Assert.Equal(7, sent.GetProperty("seed").GetInt32());
        Assert.Equal(-5, sent.GetProperty("logit_bias").GetProperty("42").GetInt32());
        Assert.Equal(3, sent.GetProperty("x_vendor_option").GetProperty("depth").GetInt32());
        Assert.Equal("alice@example.com", sent.GetProperty("user").GetString());
    }

    [Fact]
    public async Task A_stream_has_one_id_the_asked_model_the_role_first_the_finish_last_and_ends_with_done()
    {
        var (_, key) = await fixture.NewCallerAsync();
        using var response = await Http.SendAsync(V1Wire.Post(key, V1Wire.Body(V1Fixture.Plain, "shape", stream: true)),
            HttpCompletionOption.ResponseHeadersRead);
        var data = await V1Wire.ReadDataAsync(response);

        Assert.Equal("[DONE]", data[^1]);
        var chunks = data[..^1].Select(d => JsonDocument.Parse(d).RootElement).ToList();
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.All(chunks, c => Assert.Equal("fake", c.GetProperty("model").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var finishes = chunks.Select(c => c.GetProperty("choices")[0].GetProperty("finish_reason"))
            .Where(f => f.ValueKind == JsonValueKind.String).ToList();
        Assert.Equal("stop", Assert.Single(finishes).GetString());
        Assert.Equal(JsonValueKind.String, chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").ValueKind);
        // No usage was asked for, so the usage chunk Parley requests for its own accounting is not relayed.
        Assert.DoesNotContain(chunks, c => c.GetProperty("choices").GetArrayLength() == 0);
    }

    [Fact]
    public async Task Usage_is_estimated_into_the_stream_when_the_upstream_reports_none()
    {
        var (_, key) = await fixture.NewCallerAsync();
        using var response = await Http.SendAsync(V1Wire.Post(key, V1Wire.Body(V1Fixture.NoUsage, "no usage upstream", stream: true,
            extra: ""","stream_options":{"include_usage":true}""")), HttpCompletionOption.ResponseHeadersRead);
        var data = await V1Wire.ReadDataAsync(response);

        Assert.Equal("[DONE]", data[^1]);
        var usage = JsonDocument.Parse(data[^2]).RootElement;
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.True(usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0);
        Assert.Equal(V1Fixture.NoUsage, usage.GetProperty("model").GetString());
    }

    [Fact]
    public async Task An_upstream_error_after_the_start_is_one_error_event_and_no_done()
    {
        var (_, key) = await fixture.NewCallerAsync();
        using var response = await Http.SendAsync(V1Wire.Post(key, V1Wire.Body(V1Fixture.ErrorMidStream, "break later", stream: true)),
            HttpCompletionOption.ResponseHeadersRead);
        var data = await V1Wire.ReadDataAsync(response);

        Assert.DoesNotContain("[DONE]", data);
        Assert.Single(data, d => d.Contains("\"error\""));
        V1Wire.Error(data[^1]);
        Assert.True(data.Count > 3, "the text before the failure is delivered");
    }

    [Fact]
    public async Task A_connection_reset_after_the_start_is_one_error_event_and_no_done()
    {
        var (_, key) = await fixture.NewCallerAsync();
        using var response = await Http.SendAsync(V1Wire.Post(key, V1Wire.Body(V1Fixture.ResetMidStream, "reset later", stream: true)),
            HttpCompletionOption.ResponseHeadersRead);
        var data = await V1Wire.ReadDataAsync(response);

        Assert.DoesNotContain("[DONE]", data);
        var error = V1Wire.Error(data[^1]);
        Assert.Equal("upstream_error", error.GetProperty("code").GetString());
        Assert.Single(data, d => d.Contains("\"error\""));
    }

    [Fact]
    public async Task A_failing_primary_falls_back_before_the_first_token_and_the_model_stays_the_asked_one()
    {
        var (_, key) = await fixture.NewCallerAsync();
        using var response = await Http.SendAsync(V1Wire.Post(key, V1Wire.Body(V1Fixture.Failing, "fall back", stream: true)),
            HttpCompletionOption.ResponseHeadersRead);
        var data = await V1Wire.ReadDataAsync(response);

        Assert.Equal("[DONE]", data[^1]);
        Assert.All(data[..^1], d => Assert.Equal(V1Fixture.Failing, JsonDocument.Parse(d).RootElement.GetProperty("model").GetString()));
        var standbyCalls = fixture.Fake.Inspector.Requests.Where(r => r.Model == V1Fixture.Standby);
        Assert.Contains(standbyCalls, r => r.Body.GetProperty("messages")[0].GetProperty("content").GetString() == "fall back");
    }

    [Fact]
    public async Task A_client_that_goes_away_aborts_the_upstream_request()
    {
        var (_, key) = await fixture.NewCallerAsync();
        // No drain on dispose: the client closes its connection at once, where the default handler would read on
        // for up to 2 s in the hope of reusing it, and a loaded machine would then miss the deadline below.
        var http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = fixture.App.BaseAddress };
        var response = await http.SendAsync(V1Wire.Post(key, V1Wire.Body(V1Fixture.Slow, "abandon me", stream: true)),
            HttpCompletionOption.ResponseHeadersRead);
        var request = await fixture.Fake.Inspector.WaitForAsync(
            r => r.Model == V1Fixture.Slow && r.Body.GetProperty("messages")[0].GetProperty("content").GetString() == "abandon me" && r.TokensSent > 2,
            TimeSpan.FromSeconds(10));
        response.Dispose();
        http.Dispose();

        var closed = await fixture.Fake.Inspector.WaitForClientClosedAsync(request.Id, TimeSpan.FromSeconds(5));
        Assert.True(closed.ClientClosed);
        Assert.True(closed.TokensSent < 400, "the upstream stopped long before the end of the reply");
    }

    [Fact]
    public async Task The_demo_model_answers_on_v1_without_any_upstream()
    {
        var (_, key) = await fixture.NewCallerAsync();
        using var streamed = await Http.SendAsync(V1Wire.Post(key, V1Wire.Body("demo", "hello demo", stream: true,
            extra: ""","stream_options":{"include_usage":true}""")), HttpCompletionOption.ResponseHeadersRead);
        var data = await V1Wire.ReadDataAsync(streamed);
        Assert.Equal("[DONE]", data[^1]);
        var chunks = data[..^1].Select(d => JsonDocument.Parse(d).RootElement).ToList();
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.True(chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0);
        var text = string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
            .Where(d => d.TryGetProperty("content", out _)).Select(d => d.GetProperty("content").GetString()));

        using var whole = await Http.SendAsync(V1Wire.Post(key, V1Wire.Body("demo", "hello demo")));
        var completion = await ParleyClient.ExpectAsync(whole, HttpStatusCode.OK);
        Assert.Equal("chat.completion", completion.Str("object"));
        Assert.Equal(text, completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Contains("hello demo", text);
    }
}
