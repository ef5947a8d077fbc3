using System.ClientModel;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace Parley.Tests.OpenAiApi;

// The official OpenAI .NET SDK, unchanged, against Parley's /v1 with FakeLlm behind it (SPEC §9).
public sealed class DotNetSdkTests(V1Fixture fixture) : IClassFixture<V1Fixture>
{
    [Fact]
    public async Task Non_streaming_completion_comes_back_with_the_asked_model_and_usage()
    {
        var (_, key) = await fixture.NewCallerAsync();
        var sdk = fixture.Sdk(V1Fixture.Plain, key);

        ChatCompletion completion = await sdk.CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("hello parley")]);

        Assert.Equal("fake", completion.Model);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.StartsWith("[fake:2] hello parley", completion.Content[0].Text);
        Assert.True(completion.Usage.OutputTokenCount > 0);
        Assert.StartsWith("chatcmpl", completion.Id);
    }

    [Fact]
    public async Task Streaming_delivers_the_text_in_pieces_with_stable_ids_and_the_role_first()
    {
        var (_, key) = await fixture.NewCallerAsync();
        var sdk = fixture.Sdk(V1Fixture.Plain, key);

        var text = new StringBuilder();
        var ids = new HashSet<string>();
        var updates = new List<StreamingChatCompletionUpdate>();
        await foreach (var update in sdk.CompleteChatStreamingAsync([new UserChatMessage("stream this please")]))
        {
            updates.Add(update);
            ids.Add(update.CompletionId);
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
        }

        Assert.Equal(ChatMessageRole.Assistant, updates[0].Role);
        Assert.True(updates.Count(u => u.ContentUpdate.Count > 0) > 5, "the text should arrive in many chunks");
        Assert.Single(ids);
        Assert.All(updates, u => Assert.Equal("fake", u.Model));
        Assert.Equal(ChatFinishReason.Stop, updates.Last(u => u.FinishReason is not null).FinishReason);
        Assert.StartsWith("[fake:1] stream this please", text.ToString());
    }

    [Fact]
    public async Task Streaming_with_usage_reports_the_upstreams_token_counts()
    {
        var (_, key) = await fixture.NewCallerAsync();
        var sdk = fixture.Sdk(V1Fixture.Plain, key);
        fixture.Fake.Inspector.Clear();

        // The SDK asks for stream_options.include_usage on every stream.
        ChatTokenUsage? usage = null;
        await foreach (var update in sdk.CompleteChatStreamingAsync([new UserChatMessage("count my tokens")]))
        {
            if (update.Usage is not null) usage = update.Usage;
        }

        Assert.NotNull(usage);
        Assert.Equal(20, usage.OutputTokenCount); // FakeLlm's default reply length
        Assert.True(usage.InputTokenCount > 0);
        Assert.Equal(usage.InputTokenCount + usage.OutputTokenCount, usage.TotalTokenCount);
    }

    [Fact]
    public async Task A_tool_call_makes_the_round_trip_streamed_and_not()
    {
        var (_, key) = await fixture.NewCallerAsync();
        var sdk = fixture.Sdk(V1Fixture.Weather, key);
        fixture.Fake.Inspector.Clear();
        var weather = ChatTool.CreateFunctionTool("get_weather", "The weather in a city",
            BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));
        var options = new ChatCompletionOptions { Tools = { weather }, ToolChoice = ChatToolChoice.CreateAutoChoice() };
        List<ChatMessage> messages = [new UserChatMessage("What is the weather in Paris?")];

        // Streamed: the call arrives as fragments that keep index, id and name, and join to the arguments.
        var fragments = new List<StreamingChatToolCallUpdate>();
        ChatFinishReason? finish = null;
        await foreach (var update in sdk.CompleteChatStreamingAsync(messages, options))
        {
            fragments.AddRange(update.ToolCallUpdates);
            finish ??= update.FinishReason;
        }
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.True(fragments.Count > 1, "the arguments should arrive in several fragments");
        Assert.All(fragments, f => Assert.Equal(0, f.Index));
        Assert.StartsWith("call_", fragments[0].ToolCallId);
        Assert.Equal("get_weather", fragments[0].FunctionName);
        var arguments = string.Concat(fragments.Select(f => f.FunctionArgumentsUpdate?.ToString()));
        Assert.Equal("Paris", JsonDocument.Parse(arguments).RootElement.GetProperty("city").GetString());

        // The upstream saw the client's tools and tool_choice as sent.
        var first = fixture.Fake.Inspector.Requests.Last();
        Assert.Equal("get_weather", first.Body.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("auto", first.Body.GetProperty("tool_choice").GetString());

        // Not streamed: the same call, then the tool's result goes back as a tool message and the model answers.
        ChatCompletion call = await sdk.CompleteChatAsync(messages, options);
        Assert.Equal(ChatFinishReason.ToolCalls, call.FinishReason);
        var toolCall = Assert.Single(call.ToolCalls);
        Assert.Equal("get_weather", toolCall.FunctionName);
        messages.Add(new AssistantChatMessage(call));
        messages.Add(new ToolChatMessage(toolCall.Id, "sunny and 21C"));

        ChatCompletion answer = await sdk.CompleteChatAsync(messages, options);
        Assert.Equal(ChatFinishReason.Stop, answer.FinishReason);
        Assert.Contains("tool said: sunny and 21C", answer.Content[0].Text);
        var last = fixture.Fake.Inspector.Requests.Last().Body.GetProperty("messages");
        Assert.Equal("tool", last[2].GetProperty("role").GetString());
        Assert.Equal(toolCall.Id, last[2].GetProperty("tool_call_id").GetString());
    }

    [Fact]
    public async Task Errors_reach_the_sdk_as_its_exceptions_with_the_right_status()
    {
        var (_, key) = await fixture.NewCallerAsync();

        // Bad request: n = 2.
        var bad = await Assert.ThrowsAsync<ClientResultException>(() =>
            fixture.Sdk(V1Fixture.Plain, key).CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { Temperature = 7 }));
        Assert.Equal(400, bad.Status);

        // Bad key.
        var unauthorised = await Assert.ThrowsAsync<ClientResultException>(() =>
            fixture.Sdk(V1Fixture.Plain, "pk_not_a_real_key").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, unauthorised.Status);

        // Unknown model.
        var unknown = await Assert.ThrowsAsync<ClientResultException>(() =>
            fixture.Sdk("no-such-model", key).CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(404, unknown.Status);

        // The upstream answers 429 to every try, retries included.
        var before = fixture.Fake.Inspector.Requests.Count(r => r.Model == V1Fixture.Throttled);
        var limited = await Assert.ThrowsAsync<ClientResultException>(() =>
            fixture.Sdk(V1Fixture.Throttled, key).CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(429, limited.Status);
        Assert.Equal(3, fixture.Fake.Inspector.Requests.Count(r => r.Model == V1Fixture.Throttled) - before);
        Assert.True(limited.GetRawResponse()!.Headers.TryGetValue("Retry-After", out _));
    }
}
