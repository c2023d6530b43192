namespace MemoryKinds;

/// <summary>
/// One size threshold of <see cref="TierPolicy.DynamicThreshold"/>, between two adjacent tiers: allocations smaller than
/// the current threshold go to the tier before it, the others on. The threshold starts at <see cref="Initial"/> and
/// moves within [<see cref="Min"/>, <see cref="Max"/>] (memkind's <c>policy.dynamic_threshold.thresholds[ID].val</c>,
/// <c>.min</c>, <c>.max</c>).
/// </summary>
/// <param name="Initial">The threshold to start with, in bytes.</param>
/// <param name="Min">The lowest the threshold may go.</param>
/// <param name="Max">The highest the threshold may go.</param>
public readonly record struct TierThreshold(nuint Initial, nuint Min, nuint Max)
{
    /// <summary>memkind's step between the default thresholds (THRESHOLD_STEP).</summary>
    private const nuint Step = 1024;

    /// <summary>
    /// memkind's default for the threshold after tier <paramref name="index"/>: it starts at (index + 1) × 1024 and moves
    /// within [(index + ½) × 1024, (index + 1½) × 1024 − 1], so the first is 1024 in [512, 1535].
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative.</exception>
    public static TierThreshold Default(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        nuint i = (nuint)index;
        return new TierThreshold((i + 1) * Step, i * Step + Step / 2, (i + 1) * Step + Step / 2 - 1);
    }
}
