using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MemoryKinds.Engine;

/// <summary>
/// Address → (kind slot, region) for every 4 MiB granule of address space that a region covers: a two-level radix
/// table over the 48-bit user address space. Lookups take no lock and make no syscall; a granule no kind owns reads 0.
/// Leaves are never freed, so a racing lookup can read a stale code but never freed memory: callers confirm the
/// answer against the region's bounds.
/// </summary>
internal static unsafe class AddressMap
{
    private const int GranuleShift = 22, LeafBits = 13, TopBits = 48 - GranuleShift - LeafBits;
    private static readonly nint* s_top = (nint*)NativeMemory.AllocZeroed((nuint)1 << TopBits, (nuint)sizeof(nint));
    private static readonly Lock s_growLock = new();

    /// <summary>The code registered for <paramref name="p"/>: (slot + 1) &lt;&lt; 8 | region index, or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Lookup(void* p)
    {
        ulong address = (ulong)p;
        if (address >> 48 != 0) return 0;
        int* leaf = (int*)Volatile.Read(ref s_top[address >> (GranuleShift + LeafBits)]);
        return leaf == null ? 0 : Volatile.Read(ref leaf[(address >> GranuleShift) & ((1 << LeafBits) - 1)]);
    }

    public static int Encode(int slot, int regionIndex) => ((slot + 1) << 8) | regionIndex;

    public static (int Slot, int RegionIndex) Decode(int code) => ((code >> 8) - 1, code & 0xFF);

    public static void Register(byte* start, nuint size, int code) => Fill(start, size, code);

    public static void Unregister(byte* start, nuint size) => Fill(start, size, 0);

    private static void Fill(byte* start, nuint size, int code)
    {
        for (ulong address = (ulong)start; address < (ulong)start + size; address += 1UL << GranuleShift)
        {
            if (address >> 48 != 0) throw new InvalidOperationException("Address beyond the 48-bit space the map covers.");
            ref nint slot = ref s_top[address >> (GranuleShift + LeafBits)];
            if (Volatile.Read(ref slot) == 0)
            {
                lock (s_growLock)
                {
                    if (slot == 0) Volatile.Write(ref slot, (nint)NativeMemory.AllocZeroed((nuint)1 << LeafBits, sizeof(int)));
                }
            }
            int* leaf = (int*)slot;
            Volatile.Write(ref leaf[(address >> GranuleShift) & ((1 << LeafBits) - 1)], code);
        }
    }
}
