namespace MemoryKinds;

/// <summary>
/// A kind's memory use in bytes at the time of <see cref="MemoryKind.GetStats"/> (memkind's <c>memkind_get_stat</c>, with no
/// refresh step): exact whenever no other thread allocates or frees in the kind during the call, a consistent-enough
/// snapshot otherwise.
/// </summary>
/// <param name="Allocated">Usable bytes of the blocks that are allocated now.</param>
/// <param name="Active">Bytes of the pages that hold blocks (or are cached by threads to hold them): at least <paramref name="Allocated"/>.</param>
/// <param name="Resident">Bytes backed by storage right now (file blocks reserved, or DRAM committed): at least <paramref name="Active"/>.</param>
public readonly record struct KindStats(long Allocated, long Active, long Resident);
