using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Parley.Server.OpenAiApi;

// JSON written by the /v1 API: text as raw UTF-8, like the upstreams whose bytes it relays, so that a model's
// Chinese reply is not four times its size in \uXXXX escapes.
internal static class RelayJson
{
    public static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    public static readonly JsonSerializerOptions Options = new() { Encoder = Encoder };

    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = Encoder };

    // One server-sent event carrying a JSON document.
    public static void WriteEvent(IBufferWriter<byte> output, ReadOnlySpan<byte> json)
    {
        output.Write("data: "u8);
        output.Write(json);
        output.Write("\n\n"u8);
    }
}
