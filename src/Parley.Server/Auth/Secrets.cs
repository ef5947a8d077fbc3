using System.Security.Cryptography;
using System.Text;

namespace Parley.Server.Auth;

// Session tokens and API keys are 256-bit random values, so a fast hash is enough to store them safely:
// there is nothing to brute-force. Only the hash is stored; the value is shown once.
internal static class Secrets
{
    public const string ApiKeyPrefix = "pk_";

    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string NewApiKey() => ApiKeyPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
