namespace FakeLlm;

public sealed class FakeLlmInspector
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);
    private readonly FakeLlmState _state;

    internal FakeLlmInspector(FakeLlmState state) => _state = state;

    public IReadOnlyList<FakeRequestRecord> Requests => _state.Snapshot();

    public IReadOnlyList<FakeFault> Faults => _state.Faults();

    // Clears the request log and the per-model call counters used by times=.
    public void Clear() => _state.ClearRequests();

    public void AddFault(FakeFault fault) => _state.AddFault(fault);

    public void AddFault(string model, int status, int? times = null, int? retryAfter = null, string? code = null) =>
        _state.AddFault(new FakeFault(model, status, times, retryAfter, code));

    public void ClearFaults() => _state.ClearFaults();

    public Task<FakeRequestRecord> WaitForClientClosedAsync(int requestId, TimeSpan timeout) =>
        WaitForAsync(r => r.Id == requestId && r.ClientClosed, timeout);

    public Task<FakeRequestRecord> WaitForCompletedAsync(int requestId, TimeSpan timeout) =>
        WaitForAsync(r => r.Id == requestId && r.CompletedAt is not null, timeout);

    // Polling keeps the handlers free of notification plumbing; 10 ms is far below any test's patience.
    public async Task<FakeRequestRecord> WaitForAsync(Func<FakeRequestRecord, bool> predicate, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var match = Requests.FirstOrDefault(predicate);
            if (match is not null)
            {
                return match;
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                var seen = string.Join("; ", Requests.Select(r => r.ToString()));
                throw new TimeoutException($"No matching fake request within {timeout}. Seen: {seen}");
            }

            await Task.Delay(PollInterval);
        }
    }
}
