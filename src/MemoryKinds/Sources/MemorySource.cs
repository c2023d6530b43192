using MemoryKinds.Interop;

namespace MemoryKinds;

/// <summary>
/// Where a kind's pages come from: the counterpart of memkind's <c>memkind_ops</c>. The heap engine calls a source only on
/// slow paths and always under the kind's lock, so an implementation needs no locking of its own.
/// </summary>
/// <remarks>
/// <para>How memkind's operations map onto this type:</para>
/// <list type="table">
/// <listheader><term>memkind</term><description>MemorySource</description></listheader>
/// <item><term><c>create</c></term><description>the source's constructor or factory (e.g. <see cref="FileMemorySource.Create"/>).</description></item>
/// <item><term><c>mmap</c> (<c>memkind_pmem_mmap</c>)</term><description><see cref="TryReserve"/> takes address space once per region;
/// <see cref="TryGrow"/> backs a further stretch of it with real storage before any byte of it is handed out, and <see cref="TryRecommit"/> backs a
/// stretch again after <see cref="Decommit"/> gave it away. Both return <see langword="false"/> when storage runs out: never a fault later.</description></item>
/// <item><term><c>get_mmap_flags</c></term><description>implied by the source (the file source maps <c>MAP_SHARED</c>).</description></item>
/// <item><term><c>check_available</c> / <c>validate_dir</c></term><description>checked in the factory; <see cref="PmemKind.IsDax"/> probes DAX.</description></item>
/// <item><term>extent <c>dalloc</c> (<c>MADV_REMOVE</c>)</term><description><see cref="Decommit"/>.</description></item>
/// <item><term><c>destroy</c></term><description><see cref="Release"/> for each region, then <see cref="Dispose()"/>.</description></item>
/// <item><term><c>get_capacity</c></term><description><see cref="Capacity"/>.</description></item>
/// </list>
/// <para>The engine maps a stretch with <see cref="TryMap"/> before it reserves any of it with <see cref="TryRecommit"/>, and reserves
/// only the OS pages it hands out. Offsets and lengths passed to <see cref="TryMap"/> and <see cref="TryGrow"/> are multiples of
/// <see cref="GrowthUnit"/>; those passed to <see cref="TryRecommit"/> and <see cref="Decommit"/> are multiples of the OS page size
/// (<see cref="Environment.SystemPageSize"/>). All lie inside the region.</para>
/// </remarks>
public abstract unsafe class MemorySource : IDisposable
{
    /// <summary>Alignment every region's base must have: the granule of the engine's address-to-kind map (4 MiB).</summary>
    public const nuint RegionAlignment = 4u << 20;

    /// <summary>The unit of mapping and page metadata (64 KiB, one slice): a multiple of every supported OS page size. Storage is reserved and given back per OS page.</summary>
    public const nuint GrowthUnit = 64u << 10;

    /// <summary>The most bytes this source will ever back at once; 0 when only the underlying storage bounds it.</summary>
    public virtual long Limit => 0;

    /// <summary>Total bytes the underlying storage can hold (memkind's <c>memkind_get_capacity</c>).</summary>
    public abstract long Capacity { get; }

    /// <summary>Short text naming the source, for diagnostics (for example the directory of a file source).</summary>
    public abstract string Description { get; }

    /// <summary>
    /// Bytes of backing storage the source holds right now as the file system or OS reports it (for a file source,
    /// the file's allocated blocks), or -1 when the source cannot tell.
    /// </summary>
    public virtual long StorageBytes => -1;

    /// <summary>False once the source knows it can never give storage back (a file system without hole punching); the engine then stops asking.</summary>
    public virtual bool CanDecommit => true;

    /// <summary>Text saying why the source last refused storage (for example the OS error), starting with ", "; empty when it cannot tell.</summary>
    public virtual string FailureDetail => "";

    /// <summary>Reserves address space for a region of <paramref name="size"/> bytes; <see langword="false"/> when none is left.</summary>
    public abstract bool TryReserve(nuint size, out MemoryRegion region);

    /// <summary>Backs [<paramref name="offset"/>, <paramref name="offset"/>+<paramref name="length"/>) of the region, never backed before, with storage and makes it readable and writable.</summary>
    /// <returns><see langword="false"/> when storage is exhausted; the range is then left as it was.</returns>
    public abstract bool TryGrow(in MemoryRegion region, nuint offset, nuint length);

    /// <summary>
    /// Makes [<paramref name="offset"/>, <paramref name="offset"/>+<paramref name="length"/>) of the region, never mapped
    /// before, addressable without reserving storage for it: the engine then reserves the parts it hands out with
    /// <see cref="TryRecommit"/> (which must then also accept ranges never backed before). The default calls
    /// <see cref="TryGrow"/>, which reserves the whole range at once: correct, but the storage is then used before the engine counts it.
    /// </summary>
    /// <returns><see langword="false"/> when the range cannot be mapped; it is then left as it was.</returns>
    public virtual bool TryMap(in MemoryRegion region, nuint offset, nuint length) => TryGrow(region, offset, length);

    /// <summary>Backs again a range that <see cref="Decommit"/> gave away, or one <see cref="TryMap"/> mapped; it must read as zeros afterwards.</summary>
    /// <returns><see langword="false"/> when storage is exhausted; the range is then left decommitted.</returns>
    public abstract bool TryRecommit(in MemoryRegion region, nuint offset, nuint length);

    /// <summary>Gives the storage of a range back (hole punch, <c>MADV_DONTNEED</c>); the range stays mapped and reads as zeros afterwards.</summary>
    /// <returns><see langword="false"/> when the storage cannot give space back (the range then keeps its storage and contents).</returns>
    public abstract bool Decommit(in MemoryRegion region, nuint offset, nuint length);

    /// <summary>Unmaps a whole region and returns its address space.</summary>
    public abstract void Release(in MemoryRegion region);

    /// <summary>Releases the source's own resources (for a file source, the descriptor, which frees the file).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources; called once by <see cref="Dispose()"/> with <paramref name="disposing"/> true.</summary>
    protected virtual void Dispose(bool disposing) { }

    /// <summary>Reserves inaccessible address space aligned to <see cref="RegionAlignment"/>, for sources that build regions themselves.</summary>
    protected static bool TryReserveAddressSpace(nuint size, out byte* address)
    {
        if (size == 0 || size % GrowthUnit != 0) throw new ArgumentOutOfRangeException(nameof(size), size, "The size must be a positive multiple of GrowthUnit.");
        if (Os.Reserve(size, RegionAlignment, out address) != 0) return false;
        Interlocked.Add(ref s_reservedBytes, (long)size);
        return true;
    }

    /// <summary>Returns address space taken by <see cref="TryReserveAddressSpace"/> (and unmaps whatever was mapped into it).</summary>
    protected static void ReleaseAddressSpace(byte* address, nuint size)
    {
        if (Os.Unmap(address, size) == 0) Interlocked.Add(ref s_reservedBytes, -(long)size);
    }

    private static long s_reservedBytes;

    /// <summary>Address space that every source of the process has reserved and not yet released (what leak checks count).</summary>
    internal static long ReservedBytes => Volatile.Read(ref s_reservedBytes);
}
