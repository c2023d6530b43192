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
    /// Two tiers or more, with a size threshold between each two adjacent ones: an allocation goes to the first tier whose
    /// threshold it is below (the last tier takes the rest), and each threshold moves until the bytes held by its two
    /// tiers match their ratio (MEMTIER_POLICY_DYNAMIC_THRESHOLD; see <see cref="DynamicThresholdOptions"/>).
    /// </summary>
    DynamicThreshold,
}
