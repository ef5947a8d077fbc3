using System.Security.Cryptography;

namespace Parley.Server.Infrastructure;

// Opaque ids: a type prefix, then 48 bits of time and 80 random bits in Crockford base32. Ids made later sort
// later, which keeps index inserts local; the random part makes them unguessable.
internal static class Ids
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    public static string New(string prefix)
    {
        Span<byte> bytes = stackalloc byte[16];
        var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--) { bytes[i] = (byte)(ms & 0xFF); ms >>= 8; }
        RandomNumberGenerator.Fill(bytes[6..]);
        return prefix + "_" + Encode(bytes);
    }

    private static string Encode(ReadOnlySpan<byte> bytes)
    {
        // 128 bits -> 26 base32 characters.
        Span<char> chars = stackalloc char[26];
        var value = new UInt128(BitConverter.ToUInt64(Reverse(bytes[..8])), BitConverter.ToUInt64(Reverse(bytes[8..])));
        for (var i = 25; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(value & 31)];
            value >>= 5;
        }
        return new string(chars);
    }

    private static byte[] Reverse(ReadOnlySpan<byte> span)
    {
        var copy = span.ToArray();
        if (BitConverter.IsLittleEndian) Array.Reverse(copy);
        return copy;
    }
}
