namespace MemoryKinds;

/// <summary>
/// The parameters of <see cref="TierPolicy.DynamicThreshold"/> (memkind's <c>memtier_ctl_set</c> names
/// <c>policy.dynamic_threshold.*</c>), for <see cref="TieredMemory.Create(DynamicThresholdOptions, ValueTuple{MemoryKind, int}[])"/>.
/// Every property has memkind's default.
/// </summary>
public sealed record DynamicThresholdOptions
{
    /// <summary>
    /// One threshold per pair of adjacent tiers, first pair first (one fewer than the tiers); null for memkind's defaults,
    /// <see cref="TierThreshold.Default"/>. Each must have <c>Min ≤ Initial ≤ Max</c>, and each range must end no later
    /// than the next one starts.
    /// </summary>
    public IReadOnlyList<TierThreshold>? Thresholds { get; init; }

    /// <summary>How many allocations and reallocations (counted per thread here; per tiered memory in memkind) come between two ratio checks; positive, default 20.</summary>
    public int CheckCount { get; init; } = 20;

    /// <summary>How far the ratio of two adjacent tiers' bytes may be from the ratio of their ratios before the threshold between them moves; not negative, default 0.02.</summary>
    public float Trigger { get; init; } = 0.02f;

    /// <summary>The fraction of itself by which a threshold moves (rounded up to whole bytes); not negative, default 0.15.</summary>
    public float Degree { get; init; } = 0.15f;
}
