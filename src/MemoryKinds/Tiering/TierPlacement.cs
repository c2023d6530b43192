namespace MemoryKinds;

/// <summary>A tiering policy: which tier an allocation of a given size should go to.</summary>
internal abstract class TierPlacement
{
    /// <summary>The index of the tier an allocation of <paramref name="size"/> bytes should go to.</summary>
    public abstract int Choose(nuint size);
}
