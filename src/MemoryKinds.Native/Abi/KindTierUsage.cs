namespace MemoryKinds.Native.Abi;

/// <summary>
/// One kind's part in the memtier API: the bytes <c>memtier_kind_allocated_size</c> reports (allocated in the kind
/// through the memtier calls and not freed, as memkind counts them per kind), and the memtier memories that have the
/// kind as a tier, which <c>memtier_free</c> frees the kind's blocks through.
/// </summary>
/// <remarks>
/// A block a memtier memory placed is counted by that memory's <see cref="TieredMemory"/> (exactly, per object, which
/// its placement reads); a block of the <c>memtier_kind_*</c> calls, or one freed past the memories, is counted in the
/// direct count. The total is the direct count plus every memory's count for the kind, so it is exact whichever call
/// frees each block. A deleted memory stays in the list behind the live ones until its count for the kind is 0, so its
/// blocks, freed later, still leave the total right. Registry changes take one lock; readers take none.
/// </remarks>
internal sealed class KindTierUsage
{
    private static readonly Lock s_lock = new();

    private readonly StripedCounter _direct = new();
    /// <summary>The live memories with this kind as a tier, in the order made, then the deleted ones still counting bytes here.</summary>
    private volatile MemtierMemory[] _memories = [];

    /// <summary>Counts bytes allocated (positive) or freed (negative) in the kind past any memtier memory.</summary>
    public void AddDirect(long bytes) => _direct.Add(bytes);

    /// <summary>The memory <c>memtier_free</c> frees this kind's blocks through: the first live one, else a deleted one; null if none.</summary>
    public MemtierMemory? FreeRoute => _memories is [MemtierMemory first, ..] ? first : null;

    /// <summary>The bytes allocated in <paramref name="kind"/> through the memtier API and not freed (0 rather than negative).</summary>
    public long Total(MemoryKind kind)
    {
        long total = _direct.Sum();
        foreach (MemtierMemory memory in _memories) total += memory.Tiers.AllocatedBytes(kind);
        return Math.Max(total, 0);
    }

    /// <summary>Adds a new memory to each of its kinds, behind their live memories.</summary>
    public static void Register(MemtierMemory memory)
    {
        lock (s_lock)
        {
            for (int i = 0; i < memory.Entries.Length; i++) memory.Entries[i].TierUsage.Rebuild(memory.Kinds[i], add: memory);
        }
    }

    /// <summary>Marks a memory deleted: each of its kinds keeps it, behind the live ones, only while it counts bytes there.</summary>
    public static void Retire(MemtierMemory memory)
    {
        lock (s_lock)
        {
            memory.Retired = true;
            for (int i = 0; i < memory.Entries.Length; i++) memory.Entries[i].TierUsage.Rebuild(memory.Kinds[i], add: null);
        }
    }

    /// <summary>Orders the list live first, drops deleted memories that count nothing here; under the lock.</summary>
    private void Rebuild(MemoryKind kind, MemtierMemory? add)
    {
        var live = new List<MemtierMemory>();
        var retired = new List<MemtierMemory>();
        foreach (MemtierMemory m in add is null ? _memories : [.. _memories, add])
        {
            if (!m.Retired) live.Add(m);
            else if (m.Tiers.AllocatedBytes(kind) != 0) retired.Add(m);
        }
        _memories = [.. live, .. retired];
    }
}
