// Each browser test class runs its own Chromium and server; on a small machine running them one at a time keeps
// the timing of streamed replies predictable.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
