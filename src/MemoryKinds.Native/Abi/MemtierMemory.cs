namespace MemoryKinds.Native.Abi;

/// <summary>A <c>struct memtier_memory</c>: the <see cref="TieredMemory"/> C allocates through, and its tiers' kinds as C knows them.</summary>
internal sealed class MemtierMemory(TieredMemory tiers, AbiKind[] entries, MemoryKind[] kinds)
{
    /// <summary>The live memories, by the handle C holds.</summary>
    public static HandleTable<MemtierMemory> Handles { get; } = new();

    /// <summary>Where allocations are placed and counted.</summary>
    public TieredMemory Tiers { get; } = tiers;

    /// <summary>The tiers' kinds as C knows them, first tier first.</summary>
    public AbiKind[] Entries { get; } = entries;

    /// <summary>The tiers' kinds, first tier first (<see cref="TieredMemory.Kinds"/> as an array).</summary>
    public MemoryKind[] Kinds { get; } = kinds;

    /// <summary>Set (under <see cref="KindTierUsage"/>'s lock) when C deleted the memory; its blocks may still be freed.</summary>
    public volatile bool Retired;

    /// <summary>Whether <paramref name="kind"/> is one of the tiers.</summary>
    public bool HasTier(MemoryKind kind) => Array.IndexOf(Kinds, kind) >= 0;
}
