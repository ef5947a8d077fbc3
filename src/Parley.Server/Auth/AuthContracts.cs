using Parley.Server.Storage;

namespace Parley.Server.Auth;

internal sealed record Credentials(string? Username, string? Password);

internal sealed record UserDto(string Id, string Username, bool IsAdmin);

internal sealed record SetupDto(bool HasUsers, bool OpenRegistration);

internal sealed record CreateKeyRequest(string? Name);

internal sealed record CreatedKeyDto(string Id, string Name, string Key, DateTime CreatedAt);

// Usage is everything the key's /v1 calls spent, for as long as the key has existed.
internal sealed record KeyDto(string Id, string Name, string Prefix, DateTime CreatedAt, DateTime? LastUsedAt, KeyUsageDto Usage);

internal sealed record KeyUsageDto(long PromptTokens, long CompletionTokens, long TotalTokens, int Requests)
{
    public static readonly KeyUsageDto None = new(0, 0, 0, 0);
}

internal static class AuthMapping
{
    public static UserDto ToDto(this User user) => new(user.Id, user.Username, user.IsAdmin);

    public static KeyDto ToDto(this ApiKey key, KeyUsageDto usage) => new(key.Id, key.Name, key.Prefix, key.CreatedAt, key.LastUsedAt, usage);
}
