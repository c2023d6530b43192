namespace MemoryKinds;

/// <summary>A tiering policy: which tier an allocation of a given size should go to.</summary>
internal abstract class TierPlacement
{
    /// <summary>The index of the tier an allocation of <paramref name="size"/> bytes should go to.</summary>
    /// <param name="size">The bytes asked for.</param>
    /// <param name="stripe">The calling thread's stripe of the counters (<see cref="TierCounters.OwnStripe"/>).</param>
    public abstract int Choose(nuint size, ref long stripe);
}
