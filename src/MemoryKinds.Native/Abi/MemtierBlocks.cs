namespace MemoryKinds.Native.Abi;

/// <summary>
/// What the memtier exports share: finding the memory a handle names, and the kind-level block operations that count
/// bytes in <see cref="KindTierUsage"/> as memkind's <c>memtier_kind_*</c> calls count them per kind.
/// </summary>
internal static unsafe class MemtierBlocks
{
    /// <summary>The memory <paramref name="memory"/> names; null (misuse reported, errno EINVAL) when it names none.</summary>
    public static MemtierMemory? MemoryOrReport(void* memory, string call)
    {
        if (ForkGuard.Refuses(call)) return null;
        MemtierMemory? found = MemtierMemory.Handles.Find(memory);
        if (found is null)
        {
            Misuse.Report(call, memory == null
                ? "memory is NULL; nothing was done"
                : $"{Misuse.Pointer(memory)} is not a live memtier memory (never constructed, or deleted); nothing was done");
            Libc.SetErrno(ErrorCodes.EINVAL);
        }
        return found;
    }

    /// <summary>
    /// Frees <paramref name="ptr"/> (not null) as <c>memtier_free</c> does: through the first memtier memory that has the
    /// block's kind as a tier (so that memory's placement counts go down), else in the kind itself.
    /// </summary>
    /// <exception cref="ArgumentException">The block is freed already, or is inside a block; nothing is changed.</exception>
    public static void Free(string call, void* ptr)
    {
        MemoryKind? owner = KindTable.OwnerOrReport(call, ptr);
        if (owner is null) return;
        AbiKind? entry = KindTable.Of(owner);
        if (entry?.TierUsageIfAny?.FreeRoute is { } memory) memory.Tiers.Free(ptr);
        else FreeInKind(owner, entry, ptr);
    }

    /// <summary>Frees a block of <paramref name="kind"/> past any memory, counting it out of the kind's direct bytes.</summary>
    /// <exception cref="ArgumentException">The block is not a live block of <paramref name="kind"/>; nothing is changed.</exception>
    public static void FreeInKind(MemoryKind kind, AbiKind? entry, void* ptr)
    {
        long usable = (long)kind.GetUsableSize(ptr); // refuses foreign, freed and interior pointers
        kind.Free(ptr);
        entry?.TierUsage.AddDirect(-usable);
    }

    /// <summary>
    /// Resizes a live block within <paramref name="kind"/> as <c>memtier_kind_realloc</c> does (size 0 frees and gives
    /// null), counting the change in the kind's direct bytes; null with ENOMEM, the block unchanged, when it has no room.
    /// </summary>
    /// <exception cref="ArgumentException">The block is not a live block of <paramref name="kind"/>; nothing is changed.</exception>
    public static void* ReallocInKind(MemoryKind kind, AbiKind? entry, void* ptr, nuint size)
    {
        long old = (long)kind.GetUsableSize(ptr);
        if (size == 0)
        {
            kind.Free(ptr);
            entry?.TierUsage.AddDirect(-old);
            return null;
        }
        void* moved = kind.TryRealloc(ptr, size);
        if (moved == null)
        {
            Libc.SetErrno(ErrorCodes.ENOMEM);
            return null;
        }
        entry?.TierUsage.AddDirect((long)kind.GetUsableSize(moved) - old);
        return moved;
    }

    /// <summary>Counts a block just allocated in <paramref name="kind"/> past any memory (null: ENOMEM) and returns it.</summary>
    public static void* CountedInKind(MemoryKind kind, AbiKind? entry, void* p)
    {
        if (p == null) Libc.SetErrno(ErrorCodes.ENOMEM);
        else entry?.TierUsage.AddDirect((long)kind.GetUsableSize(p));
        return p;
    }
}
