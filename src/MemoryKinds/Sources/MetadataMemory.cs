using MemoryKinds.Interop;

namespace MemoryKinds.Sources;

/// <summary>
/// Zeroed DRAM for the engine's out-of-band metadata (page table, block bitmaps). It is mapped, not malloc'ed, so the
/// parts a kind never touches cost no memory: a 64 GiB region's tables take RAM only for the pages in use.
/// </summary>
internal static unsafe class MetadataMemory
{
    public static byte* Allocate(nuint size)
    {
        int errno = Os.MapAnonymous(RoundUp(size), out byte* address);
        return errno == 0 ? address : null;
    }

    public static void Free(byte* address, nuint size)
    {
        if (address != null) Os.Unmap(address, RoundUp(size));
    }

    private static nuint RoundUp(nuint size) => (size + Os.PageSize - 1) & ~(Os.PageSize - 1);
}
