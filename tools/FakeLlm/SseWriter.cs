using System.Text;

namespace FakeLlm;

// Writes one SSE event per flush. With splitUtf8 each event goes out in 2-3 flushed pieces
// cut inside multi-byte characters, to catch clients that decode each network read on its own.
internal sealed class SseWriter(Stream body, bool splitUtf8, int splitDelayMs, CancellationToken cancellationToken)
{
    public Task WriteDataAsync(string data) => WriteRawAsync(Encoding.UTF8.GetBytes($"data: {data}\n\n"));

    public async Task WriteRawAsync(byte[] bytes)
    {
        if (!splitUtf8)
        {
            await body.WriteAsync(bytes, cancellationToken);
            await body.FlushAsync(cancellationToken);
            return;
        }

        var start = 0;
        foreach (var cut in SplitPoints(bytes).Append(bytes.Length))
        {
            await body.WriteAsync(bytes.AsMemory(start, cut - start), cancellationToken);
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
