using System.Text.Json;

namespace FakeLlm;

// Process-wide state shared by the HTTP endpoints and the in-process inspector. The request log keeps only the
// most recent requests (FakeLlmHostOptions.RequestLogSize), so that a long benchmark does not grow it, and the
// bodies it holds, without bound; tests look at a handful.
internal sealed class FakeLlmState(int maxLoggedRequests = FakeLlmHostOptions.DefaultRequestLogSize)
{
    private readonly Lock _gate = new();
    private readonly Queue<RequestEntry> _requests = new();
    private readonly Dictionary<string, int> _callsByModel = new(StringComparer.Ordinal);
    private readonly List<FaultSlot> _faults = [];
    private int _nextId;

    public RequestEntry Begin(string model, JsonElement body, string? authorization)
    {
        lock (_gate)
        {
            var entry = new RequestEntry(++_nextId, model, body, authorization);
            _requests.Enqueue(entry);
            if (_requests.Count > maxLoggedRequests)
            {
                _requests.Dequeue();
            }

            return entry;
        }
    }

    public IReadOnlyList<FakeRequestRecord> Snapshot()
    {
        RequestEntry[] entries;
        lock (_gate)
        {
            entries = [.. _requests];
        }

        return entries.Select(e => e.Snapshot()).ToList();
    }

    // Ids keep increasing across clears so a stale id can never match a new request.
    public void ClearRequests()
    {
        lock (_gate)
        {
            _requests.Clear();
            _callsByModel.Clear();
        }
    }

    // 1-based call number for this exact model string, used by the times= directive.
    public int CountCall(string fullModel)
    {
        lock (_gate)
        {
            var n = _callsByModel.GetValueOrDefault(fullModel) + 1;
            _callsByModel[fullModel] = n;
            return n;
        }
    }

    public void AddFault(FakeFault fault)
    {
        lock (_gate)
        {
            _faults.Add(new FaultSlot(fault, fault.Times));
        }
    }

    public void ClearFaults()
    {
        lock (_gate)
        {
            _faults.Clear();
        }
    }

    public IReadOnlyList<FakeFault> Faults()
    {
        lock (_gate)
        {
            return _faults.Where(f => f.Remaining is null or > 0).Select(f => f.Fault).ToList();
        }
    }

    // Consumes one use of the first live fault matching the base model name.
    public FakeFault? TakeFault(string baseModel)
    {
        lock (_gate)
        {
            foreach (var slot in _faults)
            {
                if ((slot.Fault.Model == "*" || slot.Fault.Model == baseModel) && slot.Remaining is null or > 0)
                {
                    slot.Remaining--;
                    return slot.Fault;
                }
            }

            return null;
        }
    }

    private sealed class FaultSlot(FakeFault fault, int? remaining)
    {
        public FakeFault Fault { get; } = fault;
        public int? Remaining { get; set; } = remaining;
    }
}
