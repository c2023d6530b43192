namespace MemoryKinds;

/// <summary>How a <see cref="TieredMemory"/> picks the tier of each allocation (memkind's <c>memtier_policy_t</c>).</summary>
public enum TierPolicy
{
    /// <summary>
    /// Keeps the bytes each tier holds at the tiers' ratio: every allocation goes to the tier whose share of the bytes
    /// is furthest below its target once this allocation is counted (MEMTIER_POLICY_STATIC_RATIO, with exact accounting).
    /// </summary>
    StaticRatio,

    /// <summary>
    /// Two tiers: allocations smaller than a size threshold go to the first, the others to the second, and the threshold
    /// moves until the bytes held match the ratio (MEMTIER_POLICY_DYNAMIC_THRESHOLD).
    /// </summary>
    DynamicThreshold,
}
