namespace Parley.Tests.Durability;

// The durability tests start, kill and restart real server processes and time replies against the wall clock.
// They run one at a time and apart from every other test class, so that nothing else competes for the CPU
// while a test waits for a grace period or a reply's pace.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DurabilityCollection
{
    public const string Name = "Durability";
}
