namespace Parley.Tests.Infrastructure;

// Tests that measure the process (its managed heap, say) run in this collection: xUnit runs it after the
// parallel tests, with nothing else running, so other tests' allocations do not count against them.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "Alone";
}
