using System.Net;
using System.Text;
using Parley.Server.Providers;
using Parley.Server.Providers.OpenAi;

namespace Parley.Tests.Providers;

// How the client reads a stream's bytes, whatever the network makes of them: a canned response body, handed
// over whole or a byte at a time. The upstream's behaviour over real HTTP is in BrokenStreamTests.
public sealed class OpenAiChatClientStreamTests
{
    private const string Hello = """data: {"choices":[{"delta":{"content":"Hé"}}]}""";
    private const string World = """data:{"choices":[{"delta":{"content":" wörld 🌍"},"finish_reason":"stop"}]}""";

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Text_arrives_intact_when_lines_straddle_reads_and_buffer_segments_and_the_last_has_no_newline(int bytesPerRead)
    {
        // Padding of every length moves the lines across the reader's 4 KiB buffer segments.
        for (var padding = 3300; padding < 4300; padding += 61)
        {
            var body = $": {new string('x', padding)}\r\n\r\n{Hello}\r\n\r\nevent: ignored\n{World}  \n\ndata: [DONE]";

            var updates = await StreamAsync(body, bytesPerRead);

            Assert.Equal("Hé wörld 🌍", string.Concat(updates.OfType<TextDelta>().Select(d => d.Text)));
            Assert.Equal("stop", Assert.IsType<FinishReport>(updates[^1]).Reason);
        }
    }

    [Fact]
    public async Task Chunks_before_a_malformed_one_in_the_same_read_are_kept()
    {
        var body = $"{Hello}\n\n{World}\n\ndata: {{\"choices\":[{{\"delta\":{{\"content\":\n\n";
        var updates = new List<ModelUpdate>();

        var failure = await Assert.ThrowsAsync<UpstreamFailure>(() => StreamAsync(body, bytesPerRead: int.MaxValue, updates));

        Assert.Equal(UpstreamFailureKind.Broken, failure.Kind);
        Assert.Equal("Hé wörld 🌍", string.Concat(updates.OfType<TextDelta>().Select(d => d.Text)));
    }

    [Fact]
    public async Task A_stream_that_ends_before_the_model_finished_is_broken()
    {
        var updates = new List<ModelUpdate>();

        var failure = await Assert.ThrowsAsync<UpstreamFailure>(() => StreamAsync($"{Hello}\n\n", bytesPerRead: 7, updates));

        Assert.Equal(UpstreamFailureKind.Broken, failure.Kind);
        Assert.Equal([new TextDelta("Hé")], updates);
    }

    private static async Task<List<ModelUpdate>> StreamAsync(string body, int bytesPerRead, List<ModelUpdate>? updates = null)
    {
        updates ??= [];
        var options = new ProviderOptions { BaseUrl = "http://upstream.invalid/v1" };
        using var http = new HttpClient(new CannedHandler(Encoding.UTF8.GetBytes(body), bytesPerRead));
        var client = new OpenAiChatClient("canned", options, http);
        var request = new ModelRequest("m", "Assistant", [new ChatTurn("user", "hi")]);
        await foreach (var update in client.StreamAsync("m", request, CancellationToken.None)) updates.Add(update);
        return updates;
    }

    private sealed class CannedHandler(byte[] body, int bytesPerRead) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new TrickleContent(body, bytesPerRead) });
    }

    private sealed class TrickleContent(byte[] body, int bytesPerRead) : HttpContent
    {
        protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(new TrickleStream(body, bytesPerRead));

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }

    // Hands out at most bytesPerRead bytes per read, so lines and characters straddle reads.
    private sealed class TrickleStream(byte[] body, int bytesPerRead) : MemoryStream(body)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, bytesPerRead));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            base.ReadAsync(buffer, offset, Math.Min(count, bytesPerRead), ct);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, bytesPerRead)], ct);
    }
}
