using System.Text.Json;

namespace FakeLlm;

// Immutable snapshot: the live entry keeps changing while a response streams.
public sealed record FakeRequestRecord(
    int Id,
    string Model,
    JsonElement Body,
    string? Authorization,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? CompletedAt,
    int TokensSent,
    bool ClientClosed,
    DateTimeOffset? ClientClosedAt,
    int StatusCode);
