namespace MemoryKinds.Tests.Reliability;

/// <summary>
/// Reliability tests that count the process's descriptors and mappings run in this collection: xunit runs it on its
/// own, after the parallel collections, so no other test opens descriptors or maps memory meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilityResourcesCollection
{
    public const string Name = "Reliability: process resources (not parallel)";
}
