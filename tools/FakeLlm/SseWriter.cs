using System.Buffers;
using System.Text.Json;

namespace FakeLlm;

// Writes one SSE event per flush. With splitUtf8 each event goes out in 2-3 flushed pieces
// cut inside multi-byte characters, to catch clients that decode each network read on its own.
internal sealed class SseWriter(Stream body, bool splitUtf8, int splitDelayMs, CancellationToken cancellationToken)
{
    // One buffer and one JSON writer per stream, reused by every event: the bench has FakeLlm write tens of
    // thousands of events a second, and a string and a byte array per event cost more than the JSON itself.
    private readonly ArrayBufferWriter<byte> _event = new(512);
    private Utf8JsonWriter? _json;

    // Starts a "data:" event and returns the writer for its JSON; WriteDataAsync ends and sends it.
    public Utf8JsonWriter BeginData()
    {
        _event.ResetWrittenCount();
        _event.Write("data: "u8);
        if (_json is null)
        {
            _json = new Utf8JsonWriter(_event, OpenAiJson.WriterOptions);
        }
        else
        {
            _json.Reset(_event);
        }

        return _json;
    }

    public Task WriteDataAsync()
    {
        _json!.Flush();
        _event.Write("\n\n"u8);
        return WriteRawAsync(_event.WrittenMemory);
    }

    public async Task WriteRawAsync(ReadOnlyMemory<byte> bytes)
    {
        if (!splitUtf8)
        {
            await body.WriteAsync(bytes, cancellationToken);
            await body.FlushAsync(cancellationToken);
            return;
        }

        var start = 0;
        foreach (var cut in SplitPoints(bytes.Span).Append(bytes.Length))
        {
            await body.WriteAsync(bytes[start..cut], cancellationToken);
            await body.FlushAsync(cancellationToken);
            start = cut;
            if (cut < bytes.Length && splitDelayMs > 0)
            {
                // A pause keeps the pieces in separate TCP segments, so client reads really see them apart.
                await Task.Delay(splitDelayMs, cancellationToken);
            }
        }
    }

    // Offsets of continuation bytes (10xxxxxx): cutting there always lands inside a character.
    // Events without any multi-byte text are still cut once, in the middle.
    internal static IReadOnlyList<int> SplitPoints(ReadOnlySpan<byte> bytes)
    {
        var first = -1;
        var last = -1;
        for (var i = 1; i < bytes.Length; i++)
        {
            if ((bytes[i] & 0xC0) == 0x80)
            {
                if (first < 0)
                {
                    first = i;
                }

                last = i;
            }
        }

        if (first < 0)
        {
            return bytes.Length >= 2 ? [bytes.Length / 2] : [];
        }

        return last > first ? [first, last] : [first];
    }
}
