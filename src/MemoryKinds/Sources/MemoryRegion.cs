namespace MemoryKinds;

/// <summary>
/// A range of address space that a <see cref="MemorySource"/> reserved for a heap. Nothing in it is usable until the
/// heap engine asks the source to grow into it.
/// </summary>
public readonly unsafe struct MemoryRegion
{
    /// <summary>Describes a reservation.</summary>
    /// <param name="baseAddress">First byte; aligned to <see cref="MemorySource.RegionAlignment"/>.</param>
    /// <param name="size">Length in bytes, a multiple of <see cref="MemorySource.GrowthUnit"/>.</param>
    /// <param name="sourceOffset">Where the region starts in the source's backing store (for a file source, the file offset).</param>
    public MemoryRegion(byte* baseAddress, nuint size, long sourceOffset)
    {
        Base = baseAddress;
        Size = size;
        SourceOffset = sourceOffset;
    }

    /// <summary>First byte of the reservation.</summary>
    public byte* Base { get; }

    /// <summary>Length of the reservation in bytes.</summary>
    public nuint Size { get; }

    /// <summary>Where the region starts in the source's backing store.</summary>
    public long SourceOffset { get; }
}
