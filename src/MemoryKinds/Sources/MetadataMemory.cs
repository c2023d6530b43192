using MemoryKinds.Interop;

namespace MemoryKinds.Sources;

/// <summary>
/// Zeroed DRAM for the engine's out-of-band metadata (page table, block bitmaps). It is mapped, not malloc'ed, so the
/// parts a kind never touches cost no memory: a 64 GiB region's tables take RAM only for the pages in use.
/// </summary>
/// <remarks>
/// Unmapping touched memory costs a TLB shootdown on every CPU running the process (tens of microseconds in a VM), so
/// released blocks are kept for reuse, up to <see cref="MaxCachedPerSize"/> per size; the caller zeroes what it touched.
/// </remarks>
internal static unsafe class MetadataMemory
{
    private const int MaxCachedPerSize = 64;
    private static readonly Dictionary<nuint, Stack<nint>> s_cache = new();
    private static long s_bytesInUse;

    /// <summary>Bytes handed out by <see cref="Allocate"/> and not yet given back (what leak checks count).</summary>
    internal static long BytesInUse => Volatile.Read(ref s_bytesInUse);

    /// <summary>Zeroed memory of <paramref name="size"/> bytes, or null when the OS has none.</summary>
    public static byte* Allocate(nuint size)
    {
        size = RoundUp(size);
        lock (s_cache)
        {
            if (s_cache.TryGetValue(size, out Stack<nint>? cached) && cached.Count > 0)
            {
                Interlocked.Add(ref s_bytesInUse, (long)size);
                return (byte*)cached.Pop();
            }
        }
        if (Os.MapAnonymous(size, out byte* address) != 0) return null;
        Interlocked.Add(ref s_bytesInUse, (long)size);
        return address;
    }

    /// <summary>Takes back memory from <see cref="Allocate"/>; the caller has zeroed every byte it wrote.</summary>
    public static void Free(byte* address, nuint size)
    {
        if (address == null) return;
        size = RoundUp(size);
        Interlocked.Add(ref s_bytesInUse, -(long)size);
        lock (s_cache)
        {
            if (!s_cache.TryGetValue(size, out Stack<nint>? cached)) s_cache[size] = cached = new Stack<nint>();
            if (cached.Count < MaxCachedPerSize)
            {
                cached.Push((nint)address);
                return;
            }
        }
        Os.Unmap(address, size);
    }

    private static nuint RoundUp(nuint size) => (size + Os.PageSize - 1) & ~(Os.PageSize - 1);
}
