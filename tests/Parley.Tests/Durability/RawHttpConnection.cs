using System.Net.Sockets;
using System.Text;

namespace Parley.Tests.Durability;

public sealed record RawHttpResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body);

// One HTTP/1.1 connection written by hand, so that a test decides when each byte goes out: headers now, the
// body later, or a second request on a connection that has sat idle. HttpClient would hide that by opening
// new connections or retrying.
public sealed class RawHttpConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly List<byte> _buffered = [];

    private RawHttpConnection(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<RawHttpConnection> OpenAsync(Uri server, CancellationToken ct)
    {
        var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(server.Host, server.Port, ct);
            return new RawHttpConnection(tcp);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    public async Task SendAsync(string text, CancellationToken ct)
    {
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
        await _stream.FlushAsync(ct);
    }

    // The next response (an interim 1xx one included), or null when the server closed the connection first.
    public async Task<RawHttpResponse?> ReadResponseAsync(CancellationToken ct)
    {
        var head = await ReadUntilAsync("\r\n\r\n"u8.ToArray(), ct);
        if (head is null) return null;
        var lines = Encoding.ASCII.GetString(head).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var status = int.Parse(lines[0].Split(' ')[1]);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        if (status < 200) return new RawHttpResponse(status, headers, "");

        byte[] body;
        if (headers.TryGetValue("Content-Length", out var length)) body = await ReadExactlyAsync(int.Parse(length), ct);
        else if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase)) body = await ReadChunkedAsync(ct);
        else body = await ReadToEndAsync(ct);
        return new RawHttpResponse(status, headers, Encoding.UTF8.GetString(body));
    }

    private async Task<byte[]> ReadChunkedAsync(CancellationToken ct)
    {
        var body = new List<byte>();
        while (true)
        {
            var sizeLine = await ReadUntilAsync("\r\n"u8.ToArray(), ct) ?? throw new IOException("The connection closed inside a chunked body.");
            var size = Convert.ToInt32(Encoding.ASCII.GetString(sizeLine).Split(';')[0].Trim(), 16);
            if (size == 0)
            {
                await ReadUntilAsync("\r\n"u8.ToArray(), ct);
                return [.. body];
            }
            body.AddRange(await ReadExactlyAsync(size, ct));
            await ReadExactlyAsync(2, ct);
        }
    }

    // Bytes up to the delimiter (which is consumed, not returned); null on a clean end of the connection.
    private async Task<byte[]?> ReadUntilAsync(byte[] delimiter, CancellationToken ct)
    {
        while (true)
        {
            var at = IndexOf(_buffered, delimiter);
            if (at >= 0)
            {
                var line = _buffered.GetRange(0, at).ToArray();
                _buffered.RemoveRange(0, at + delimiter.Length);
                return line;
            }
            if (!await FillAsync(ct)) return null;
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken ct)
    {
        while (_buffered.Count < count)
        {
            if (!await FillAsync(ct)) throw new IOException("The connection closed inside a body.");
        }
        var bytes = _buffered.GetRange(0, count).ToArray();
        _buffered.RemoveRange(0, count);
        return bytes;
    }

    private async Task<byte[]> ReadToEndAsync(CancellationToken ct)
    {
        while (await FillAsync(ct))
        {
        }
        var bytes = _buffered.ToArray();
        _buffered.Clear();
        return bytes;
    }

    private async Task<bool> FillAsync(CancellationToken ct)
    {
        var chunk = new byte[4096];
        var read = await _stream.ReadAsync(chunk, ct);
        if (read == 0) return false;
        _buffered.AddRange(chunk.AsSpan(0, read).ToArray());
        return true;
    }

    private static int IndexOf(List<byte> haystack, byte[] needle)
    {
        for (var i = 0; i <= haystack.Count - needle.Length; i++)
        {
            var match = true;
            for (var j = 0; j < needle.Length && match; j++) match = haystack[i + j] == needle[j];
            if (match) return i;
        }
        return -1;
    }

    public ValueTask DisposeAsync()
    {
        _stream.Dispose();
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
