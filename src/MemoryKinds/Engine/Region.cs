using System.Runtime.InteropServices;
using MemoryKinds.Sources;

namespace MemoryKinds.Engine;

/// <summary>
/// One reservation of a kind: address space from the source plus its out-of-band metadata (a <see cref="Page"/> per
/// 64 KiB slice and the block bitmaps). Slices below <see cref="Frontier"/> are mapped; each says in
/// <see cref="Page.CommittedBytes"/> how much of it storage backs right now.
/// </summary>
internal sealed unsafe class Region
{
    public readonly int Index;
    public readonly MemoryRegion Memory;
    public readonly Page* Pages;
    public readonly ulong* Bits;
    public readonly int SliceCount;
    /// <summary>Slices [0, Frontier) are mapped (with storage only where reserved); the rest was never touched.</summary>
    public int Frontier;
    /// <summary>One past the highest slice whose metadata was ever written (free-span heads and tails can lie past the frontier).</summary>
    private int _written;
    private readonly nuint _metadataSize;

    private Region(int index, MemoryRegion memory, byte* metadata, nuint metadataSize)
    {
        Index = index;
        Memory = memory;
        SliceCount = (int)(memory.Size >> SizeClasses.SliceShift);
        Pages = (Page*)metadata;
        Bits = (ulong*)(metadata + (nuint)SliceCount * (nuint)sizeof(Page));
        _metadataSize = metadataSize;
    }

    public byte* Base => Memory.Base;
    public nuint Size => Memory.Size;

    /// <summary>Notes that the metadata of <paramref name="slice"/> was written, so <see cref="Release"/> zeroes it.</summary>
    public void Touch(int slice)
    {
        // The last slice (the tail of the region's last free span) is zeroed on its own in Release.
        if (slice < SliceCount - 1) _written = Math.Max(_written, slice + 1);
    }

    public bool Contains(void* p) => (nuint)p - (nuint)Memory.Base < Memory.Size;

    /// <summary>Reserves a region of <paramref name="size"/> bytes; null when the source or the metadata cannot be had.</summary>
    public static Region? TryCreate(MemorySource source, nuint size, int index)
    {
        if (!source.TryReserve(size, out MemoryRegion memory)) return null;
        if ((nuint)memory.Base % MemorySource.RegionAlignment != 0 || memory.Size != size)
        {
            source.Release(memory);
            throw new InvalidOperationException($"{source.GetType().Name}.TryReserve returned a region that is not aligned to MemorySource.RegionAlignment or not of the requested size.");
        }
        nuint slices = size >> SizeClasses.SliceShift;
        nuint metadataSize = slices * (nuint)sizeof(Page) + BlockBits.BytesFor(size);
        byte* metadata = MetadataMemory.Allocate(metadataSize);
        if (metadata == null)
        {
            source.Release(memory);
            return null;
        }
        return new Region(index, memory, metadata, metadataSize);
    }

    /// <summary>Unmaps the region and frees its metadata; every pointer into it dies.</summary>
    public void Release(MemorySource source)
    {
        source.Release(Memory);
        // Only slices below _written (and the initial span's tail) were ever written: zero them so the block can be reused.
        NativeMemory.Clear(Pages, (nuint)Math.Max(Frontier, _written) * (nuint)sizeof(Page));
        Pages[SliceCount - 1] = default;
        NativeMemory.Clear(Bits, BlockBits.BytesFor((nuint)Frontier << SizeClasses.SliceShift));
        MetadataMemory.Free((byte*)Pages, _metadataSize);
    }
}
