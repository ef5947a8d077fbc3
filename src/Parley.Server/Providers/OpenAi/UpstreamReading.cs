using System.IO.Pipelines;

namespace Parley.Server.Providers.OpenAi;

// How an upstream's streamed body is read, by chat replies and by the /v1 relay alike. Between two chunks the
// reader waits with a zero-byte read, so that a stream takes a buffer only when bytes have arrived: waiting with
// a 4 KB buffer in hand, every running reply kept one alive, a sixth of what each kept in all at 100 chat
// replies, which each collection had to keep and move (docs/BENCHMARKS.md).
internal static class UpstreamReading
{
    public static readonly StreamPipeReaderOptions Options = new(bufferSize: 4096, minimumReadSize: 512, useZeroByteReads: true);
}
