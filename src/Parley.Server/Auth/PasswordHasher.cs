using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Parley.Server.Auth;

// PBKDF2-SHA256 with a per-password salt. The iteration count is stored in the hash so that raising the work
// factor later still verifies old passwords. At most one hash per core runs at once: a flood of sign-ins
// queues instead of taking every core from the replies.
internal sealed class PasswordHasher(IOptions<AuthOptions> options)
{
    private readonly SemaphoreSlim _slots = new(Environment.ProcessorCount, Environment.ProcessorCount);

    public Task<string> HashAsync(string password, CancellationToken ct) => RunAsync(() => Hash(password), ct);

    public Task<bool> VerifyAsync(string password, string stored, CancellationToken ct) => RunAsync(() => Verify(password, stored), ct);

    // Spends the same time as a real check, so that an unknown username is not revealed by a faster answer.
    public Task VerifyNothingAsync(string password, CancellationToken ct) => RunAsync(() => Hash(password), ct);

    private async Task<T> RunAsync<T>(Func<T> work, CancellationToken ct)
    {
        await _slots.WaitAsync(ct);
        try
        {
            return work();
        }
        finally
        {
            _slots.Release();
        }
    }

    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public string Hash(string password)
    {
        var iterations = options.Value.PasswordIterations;
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], out var iterations)) return false;
        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
