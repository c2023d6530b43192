using System.Runtime.InteropServices;

namespace MemoryKinds;

/// <summary>
/// Pages from memory the caller already owns (memkind's <c>memkind_create_fixed</c>): an anonymous or file mapping,
/// a static array, a shared-memory segment. The kind never maps, unmaps or gives back any of it; the caller keeps the
/// area mapped until the kind is disposed, and may reuse it afterwards.
/// </summary>
/// <remarks>
/// The engine's regions start on <see cref="MemorySource.RegionAlignment"/> (4 MiB) boundaries, so the usable part of
/// the area begins at its first 4 MiB boundary and ends at its last 64 KiB boundary: an area that is not 4 MiB
/// aligned gives up to 4 MiB less than its size. Each stretch is zeroed when the engine first takes it, because the
/// engine hands out fresh storage as zeroed memory.
/// </remarks>
public sealed unsafe class FixedMemorySource : MemorySource
{
    private readonly byte* _end;
    private byte* _next;

    /// <summary>Describes the area [<paramref name="address"/>, <paramref name="address"/> + <paramref name="size"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The area holds no 64 KiB past its first 4 MiB boundary, or wraps around the address space.</exception>
    public FixedMemorySource(void* address, nuint size)
    {
        if (address == null) throw new ArgumentNullException(nameof(address));
        nuint start = (nuint)address, end = start + size;
        if (end < start) throw new ArgumentOutOfRangeException(nameof(size), size, "The area wraps around the address space.");
        nuint first = (start + RegionAlignment - 1) & ~(RegionAlignment - 1), last = end & ~(GrowthUnit - 1);
        if (first < start || last <= first)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"The area at 0x{start:x} holds no {GrowthUnit} bytes after its first {RegionAlignment}-byte boundary.");
        Address = address;
        Size = size;
        _next = (byte*)first;
        _end = (byte*)last;
        UsableBytes = (long)(last - first);
    }

    /// <summary>The start of the area as given.</summary>
    public void* Address { get; }

    /// <summary>The size of the area as given.</summary>
    public nuint Size { get; }

    /// <summary>The bytes the engine can use: from the first 4 MiB boundary to the last 64 KiB boundary of the area.</summary>
    public long UsableBytes { get; }

    /// <inheritdoc/>
    public override long Limit => UsableBytes;

    /// <summary>The size of the area as given (memkind_get_capacity of a fixed kind).</summary>
    public override long Capacity => (long)Size;

    /// <inheritdoc/>
    public override string Description => $"fixed area 0x{(nuint)Address:x}+{Size}";

    /// <summary>Never: the memory is the caller's, so nothing is given back before the kind is disposed.</summary>
    public override bool CanDecommit => false;

    /// <summary>Hands out the next part of the area, starting on a 4 MiB boundary.</summary>
    public override bool TryReserve(nuint size, out MemoryRegion region)
    {
        region = default;
        nuint start = ((nuint)_next + RegionAlignment - 1) & ~(RegionAlignment - 1);
        if (start < (nuint)_next || start > (nuint)_end || size > (nuint)_end - start) return false;
        region = new MemoryRegion((byte*)start, size, (long)(start - (nuint)Address));
        _next = (byte*)(start + size);
        return true;
    }

    /// <summary>The area is already mapped; the stretch is zeroed, as the engine expects of fresh storage.</summary>
    public override bool TryGrow(in MemoryRegion region, nuint offset, nuint length)
    {
        NativeMemory.Clear(region.Base + offset, length);
        return true;
    }

    /// <summary>Not called: the source never decommits.</summary>
    public override bool TryRecommit(in MemoryRegion region, nuint offset, nuint length) => true;

    /// <summary>Refuses: the memory is the caller's.</summary>
    public override bool Decommit(in MemoryRegion region, nuint offset, nuint length) => false;

    /// <summary>Leaves the memory mapped: it belongs to the caller.</summary>
    public override void Release(in MemoryRegion region) { }
}
