using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MemoryKinds.Native.Abi;

/// <summary>
/// Where the <c>struct memkind</c>s live: 128-byte slots, one per partition. The 26 static kinds are one C array
/// (native/static_kinds.c); created kinds get slots in chunks of <see cref="ChunkSlots"/>, allocated once and never
/// freed. So a <c>memkind_t</c> maps to its partition by its address alone, and a pointer that is no slot (garbage,
/// a stack address, freed memory) is refused before the library reads a byte of it.
/// </summary>
internal static unsafe class KindSlots
{
    private const int SlotShift = 7, SlotSize = 1 << SlotShift, ChunkSlots = 4096;
    private const nuint ChunkBytes = (nuint)ChunkSlots * SlotSize;

    private static readonly nuint s_staticBase = (nuint)Libc.StaticKinds();
    /// <summary>The first chunk (partitions 26–4121), checked inline; 0 until a kind is created.</summary>
    private static nuint s_firstChunk;
    /// <summary>Every chunk's base, in partition order; replaced, never changed in place.</summary>
    private static nint[] s_chunks = [];

    /// <summary>The struct of static partition <paramref name="partition"/> (0–25).</summary>
    public static KindStruct* Static(int partition) => (KindStruct*)(s_staticBase + ((nuint)partition << SlotShift));

    /// <summary>The partition whose slot <paramref name="kind"/> is, or -1 when it is none: no memory is read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int PartitionOf(KindStruct* kind)
    {
        nuint offset = (nuint)kind - s_staticBase;
        if (offset < (nuint)StaticKinds.Count << SlotShift) return (offset & (SlotSize - 1)) == 0 ? (int)(offset >> SlotShift) : -1;
        offset = (nuint)kind - s_firstChunk;
        if (offset < ChunkBytes && s_firstChunk != 0) return (offset & (SlotSize - 1)) == 0 ? StaticKinds.Count + (int)(offset >> SlotShift) : -1;
        return PartitionInLaterChunks(kind);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int PartitionInLaterChunks(KindStruct* kind)
    {
        nint[] chunks = Volatile.Read(ref s_chunks);
        for (int c = 1; c < chunks.Length; c++)
        {
            nuint offset = (nuint)kind - (nuint)chunks[c];
            if (offset < ChunkBytes) return (offset & (SlotSize - 1)) == 0 ? StaticKinds.Count + c * ChunkSlots + (int)(offset >> SlotShift) : -1;
        }
        return -1;
    }

    /// <summary>The slot of created partition <paramref name="partition"/> (26 and up), allocating its chunk the first time. Under the table's lock.</summary>
    public static KindStruct* Dynamic(int partition)
    {
        int index = partition - StaticKinds.Count, chunk = index / ChunkSlots;
        if (chunk >= s_chunks.Length)
        {
            var memory = (nint)NativeMemory.AlignedAlloc(ChunkBytes, SlotSize);
            NativeMemory.Clear((void*)memory, ChunkBytes);
            Volatile.Write(ref s_chunks, [.. s_chunks, memory]);
            if (chunk == 0) Volatile.Write(ref s_firstChunk, (nuint)memory);
        }
        return (KindStruct*)(s_chunks[chunk] + (nint)(index % ChunkSlots) * SlotSize);
    }
}
