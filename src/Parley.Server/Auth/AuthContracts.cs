using Parley.Server.Storage;

namespace Parley.Server.Auth;

internal sealed record Credentials(string? Username, string? Password);

internal sealed record UserDto(string Id, string Username, bool IsAdmin);

internal sealed record SetupDto(bool HasUsers, bool OpenRegistration);

internal sealed record CreateKeyRequest(string? Name);

internal sealed record CreatedKeyDto(string Id, string Name, string Key, DateTime CreatedAt);

internal sealed record KeyDto(string Id, string Name, string Prefix, DateTime CreatedAt, DateTime? LastUsedAt);

internal static class AuthMapping
{
    public static UserDto ToDto(this User user) => new(user.Id, user.Username, user.IsAdmin);

    public static KeyDto ToDto(this ApiKey key) => new(key.Id, key.Name, key.Prefix, key.CreatedAt, key.LastUsedAt);
}
