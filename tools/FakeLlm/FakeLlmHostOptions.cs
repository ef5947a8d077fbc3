namespace FakeLlm;

public sealed class FakeLlmHostOptions
{
    // 0 lets the OS pick a free port, so parallel test hosts never collide.
    public int Port { get; set; }

    public string? ApiKey { get; set; }

    // Base names listed by GET /v1/models; any base name is accepted for chat regardless.
    public IReadOnlyList<string> Models { get; set; } = ["fake", "fake-alt"];

    // Sends each chunk on the thread that wrote it (Kestrel's UnsafePreferInlineScheduling), for the bench,
    // where FakeLlm's own cost per chunk is part of every figure. The bytes on the wire are the same.
    public bool InlineScheduling { get; set; }

    public const int DefaultRequestLogSize = 10_000;

    // Requests kept for inspection. The bench inspects none and keeps a short log: each logged body outlives
    // two collections, and at hundreds of requests a second promoting them made FakeLlm's own pauses long
    // enough to stall the streams it paces.
    public int RequestLogSize { get; set; } = DefaultRequestLogSize;
}
