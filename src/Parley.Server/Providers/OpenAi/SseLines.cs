using System.Buffers;

namespace Parley.Server.Providers.OpenAi;

// The lines of a server-sent event stream, read as bytes from a pipe's buffer. A line is whole once its
// newline is in, so a character split across network reads is never cut.
internal static class SseLines
{
    private static ReadOnlySpan<byte> DataPrefix => "data:"u8;

    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var newline = buffer.PositionOf((byte)'\n');
        if (newline is null)
        {
            line = default;
            return false;
        }
        line = buffer.Slice(0, newline.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
        return true;
    }

    // The line as one block of memory: itself when it lies in one segment, else copied into a rented array
    // that the caller returns to the pool once done with the line.
    public static ReadOnlyMemory<byte> Contiguous(in ReadOnlySequence<byte> line, ref byte[]? rented)
    {
        if (line.IsSingleSegment) return line.First;
        rented = ArrayPool<byte>.Shared.Rent((int)line.Length);
        line.CopyTo(rented);
        return rented.AsMemory(0, (int)line.Length);
    }

    // The payload of a `data:` line. Comments (keep-alives), event: and id: lines and blank separators have none.
    public static bool TryGetData(ReadOnlyMemory<byte> line, out ReadOnlyMemory<byte> data)
    {
        var span = line.Span;
        if (!span.StartsWith(DataPrefix))
        {
            data = default;
            return false;
        }
        var start = DataPrefix.Length;
        var end = span.Length;
        while (end > start && IsSpace(span[end - 1])) end--;
        while (start < end && IsSpace(span[start])) start++;
        data = line[start..end];
        return true;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r';
}
