namespace FakeLlm;

public sealed class FakeLlmHostOptions
{
    // 0 lets the OS pick a free port, so parallel test hosts never collide.
    public int Port { get; set; }

    public string? ApiKey { get; set; }

    // Base names listed by GET /v1/models; any base name is accepted for chat regardless.
    public IReadOnlyList<string> Models { get; set; } = ["fake", "fake-alt"];
}
