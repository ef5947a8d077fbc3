using System.Text.Json;

namespace FakeLlm;

// The live, mutable side of a logged request. Handlers update it while streaming;
// readers only ever see FakeRequestRecord snapshots taken under the lock.
internal sealed class RequestEntry(int id, string model, JsonElement body, string? authorization)
{
    private readonly Lock _gate = new();
    private readonly DateTimeOffset _receivedAt = DateTimeOffset.UtcNow;
    private DateTimeOffset? _completedAt;
    private DateTimeOffset? _clientClosedAt;
    private int _tokensSent;
    private int _statusCode;
    private bool _serverAborted;

    public int Id => id;

    public void AddTokens(int count)
    {
        lock (_gate)
        {
            _tokensSent += count;
        }
    }

    public void SetStatus(int status)
    {
        lock (_gate)
        {
            _statusCode = status;
        }
    }

    // Set before HttpContext.Abort() so our own reset is not mistaken for the client leaving.
    public void MarkServerAborted()
    {
        lock (_gate)
        {
            _serverAborted = true;
        }
    }

    public void MarkClientClosed()
    {
        lock (_gate)
        {
            if (_completedAt is null && !_serverAborted && _clientClosedAt is null)
            {
                _clientClosedAt = DateTimeOffset.UtcNow;
            }
        }
    }

    // First call wins: responders complete right after their last write, the endpoint's finally is a backstop.
    public void Complete(int status)
    {
        lock (_gate)
        {
            if (_completedAt is null)
            {
                _completedAt = DateTimeOffset.UtcNow;
                _statusCode = status;
            }
        }
    }

    public FakeRequestRecord Snapshot()
    {
        lock (_gate)
        {
            return new FakeRequestRecord(
                id, model, body, authorization, _receivedAt, _completedAt, _tokensSent,
                _clientClosedAt is not null, _clientClosedAt, _statusCode);
        }
    }
}
