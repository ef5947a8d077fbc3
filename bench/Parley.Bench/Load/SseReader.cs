using System.Buffers;
using System.IO.Pipelines;

namespace Parley.Bench.Load;

// Reads an event stream line by line as bytes, without decoding or parsing JSON: at thousands of streams the
// load generator shares the cores with the server it measures, so it must cost as little as possible.
internal static class SseReader
{
    // Calls onLine for each line (without the newline) until it returns false or the stream ends.
    // Returns false if the stream ended first.
    public static async Task<bool> ReadLinesAsync(Stream stream, LineHandler onLine, CancellationToken ct)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096));
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(ct);
                var buffer = read.Buffer;
                var now = Monotonic.Now;
                var more = true;
                while (more && buffer.PositionOf((byte)'\n') is { } newline)
                {
                    var line = buffer.Slice(0, newline);
                    more = line.IsSingleSegment ? onLine(line.FirstSpan, now) : onLine(line.ToArray(), now);
                    buffer = buffer.Slice(buffer.GetPosition(1, newline));
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (!more) return true;
                if (read.IsCompleted) return false;
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    public delegate bool LineHandler(ReadOnlySpan<byte> line, long receivedAt);
}
