using System.IO.Pipelines;

namespace Parley.Server.Providers.OpenAi;

// How an upstream's streamed body is read, by chat replies and by the /v1 relay alike. Between two chunks the
// reader waits with a zero-byte read, so that a stream takes a buffer only when bytes have arrived: waiting with
// a 4 KB buffer in hand, every running reply kept one alive for each collection to keep and move
// (docs/BENCHMARKS.md, 2026-12-03, midday).
internal static class UpstreamReading
{
    public static readonly StreamPipeReaderOptions Options = new(bufferSize: 4096, minimumReadSize: 512, useZeroByteReads: true);
}
