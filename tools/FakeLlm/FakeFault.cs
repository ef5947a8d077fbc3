namespace FakeLlm;

// Model is a base name (directives stripped) or "*". Times null means "until cleared".
public sealed record FakeFault(string Model, int Status, int? Times = null, int? RetryAfter = null, string? Code = null);
