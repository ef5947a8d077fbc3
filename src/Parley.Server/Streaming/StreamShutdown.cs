namespace Parley.Server.Streaming;

// Ends open reply streams at shutdown, but only once the worker has finished or handed back its replies:
// during the grace period readers keep receiving the replies that are finishing. The web server stops after
// the worker (hosted services stop in reverse order), so streams end before it waits for open requests.
internal sealed class StreamShutdown
{
    private readonly CancellationTokenSource _end = new();

    public CancellationToken Token => _end.Token;

    public void EndStreams() => _end.Cancel();
}
