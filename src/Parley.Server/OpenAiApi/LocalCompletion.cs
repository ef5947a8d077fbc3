using System.Buffers;
using System.Text;
using System.Text.Json;
using Parley.Server.Providers;

namespace Parley.Server.OpenAiApi;

// A /v1 call answered by a built-in model (the offline demo), written in the OpenAI wire shape by Parley itself.
internal sealed class LocalCompletion(string id, CompletionRequest request, ModelEntry model)
{
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private int _prompt;
    private int _completion;

    public (int Prompt, int Completion) Usage => (_prompt, _completion);

    private ModelRequest ModelRequest => new(model.Id, "assistant", request.Turns, request.MaxTokens);

    public async Task StreamAsync(HttpResponse response, CancellationToken ct)
    {
        var output = response.BodyWriter;
        WriteChunk(output, role: "assistant", content: "", finish: null);
        await output.FlushAsync(ct);
        string finish;
        try
        {
            finish = await GenerateAsync(async text =>
            {
                WriteChunk(output, role: null, content: text, finish: null);
                await output.FlushAsync(ct);
            }, ct);
        }
        catch (ModelFailure failure)
        {
            RelayJson.WriteEvent(output, new OpenAiError(502, "server_error", failure.Code, failure.Message).ToJson());
            await output.FlushAsync(ct);
            return;
        }

        WriteChunk(output, role: null, content: null, finish: finish);
        if (request.IncludeUsage) WriteUsageChunk(output);
        output.Write("data: [DONE]\n\n"u8);
        await output.FlushAsync(ct);
    }

    // The whole reply; null when the model failed, with the error to answer instead.
    public async Task<OpenAiError?> CompleteAsync(HttpResponse response, CancellationToken ct)
    {
        var text = new StringBuilder();
        string finish;
        try
        {
            finish = await GenerateAsync(piece =>
            {
                text.Append(piece);
                return ValueTask.CompletedTask;
            }, ct);
        }
        catch (ModelFailure failure)
        {
            return new OpenAiError(502, "server_error", failure.Code, failure.Message);
        }

        response.ContentType = "application/json";
        using var json = new Utf8JsonWriter(response.BodyWriter, RelayJson.WriterOptions);
        json.WriteStartObject();
        WriteEnvelope(json, "chat.completion");
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        json.WriteStartObject("message");
        json.WriteString("role", "assistant");
        json.WriteString("content", text.ToString());
        json.WriteEndObject();
        json.WriteString("finish_reason", finish);
        json.WriteEndObject();
        json.WriteEndArray();
        WriteUsage(json);
        json.WriteEndObject();
        await json.FlushAsync(ct);
        return null;
    }

    // Runs the model, handing each piece of text to onText; returns the finish reason. Usage is the model's own
    // report, or an estimate of what was generated, even when the model failed part way.
    private async Task<string> GenerateAsync(Func<string, ValueTask> onText, CancellationToken ct)
    {
        var finish = "stop";
        var counter = new TokenCounter();
        try
        {
            await foreach (var update in model.Client.StreamAsync(ModelRequest, ct))
            {
                switch (update)
                {
                    case TextDelta delta:
                        counter.Add(delta.Text);
                        await onText(delta.Text);
                        break;
                    case UsageReport usage:
                        (_prompt, _completion) = (usage.PromptTokens, usage.CompletionTokens);
                        break;
                    case FinishReport done:
                        finish = done.Reason;
                        break;
                }
            }
        }
        finally
        {
            if (_completion == 0) (_prompt, _completion) = (request.PromptEstimate, counter.Tokens);
        }
        return finish;
    }

    private void WriteChunk(IBufferWriter<byte> output, string? role, string? content, string? finish)
    {
        output.Write("data: "u8);
        using (var json = new Utf8JsonWriter(output, RelayJson.WriterOptions))
        {
            json.WriteStartObject();
            WriteEnvelope(json, "chat.completion.chunk");
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", 0);
            json.WriteStartObject("delta");
            if (role is not null) json.WriteString("role", role);
            if (content is not null) json.WriteString("content", content);
            json.WriteEndObject();
            if (finish is null) json.WriteNull("finish_reason");
            else json.WriteString("finish_reason", finish);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }
        output.Write("\n\n"u8);
    }

    private void WriteUsageChunk(IBufferWriter<byte> output)
    {
        output.Write("data: "u8);
        using (var json = new Utf8JsonWriter(output, RelayJson.WriterOptions))
        {
            json.WriteStartObject();
            WriteEnvelope(json, "chat.completion.chunk");
            json.WriteStartArray("choices");
            json.WriteEndArray();
            WriteUsage(json);
            json.WriteEndObject();
        }
        output.Write("\n\n"u8);
    }

    private void WriteEnvelope(Utf8JsonWriter json, string kind)
    {
        json.WriteString("id", id);
        json.WriteString("object", kind);
        json.WriteNumber("created", _created);
        json.WriteString("model", request.Model);
    }

    private void WriteUsage(Utf8JsonWriter json)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", _prompt);
        json.WriteNumber("completion_tokens", _completion);
        json.WriteNumber("total_tokens", _prompt + _completion);
        json.WriteEndObject();
    }
}
