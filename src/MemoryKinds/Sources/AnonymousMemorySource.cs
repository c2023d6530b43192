using MemoryKinds.Interop;

namespace MemoryKinds;

/// <summary>Pages from anonymous memory (DRAM): the source behind <see cref="MemoryKind.Default"/>.</summary>
public sealed unsafe class AnonymousMemorySource : MemorySource
{
    private readonly long _limit;

    /// <summary>Creates a DRAM source.</summary>
    /// <param name="limit">Most bytes the source will back at once; 0 for no limit.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    public AnonymousMemorySource(long limit = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        _limit = limit;
    }

    /// <inheritdoc/>
    public override long Limit => _limit;

    /// <summary>The limit when set, else the memory available to the process.</summary>
    public override long Capacity => _limit != 0 ? _limit : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <inheritdoc/>
    public override string Description => "DRAM";

    /// <inheritdoc/>
    public override bool TryReserve(nuint size, out MemoryRegion region)
    {
        region = default;
        if (!TryReserveAddressSpace(size, out byte* address)) return false;
        region = new MemoryRegion(address, size, 0);
        return true;
    }

    /// <inheritdoc/>
    public override bool TryGrow(in MemoryRegion region, nuint offset, nuint length)
        => Os.Protect(region.Base + offset, length, LinuxConstants.PROT_READ | LinuxConstants.PROT_WRITE) == 0;

    /// <summary>Anonymous memory is charged when touched, so there is nothing to reserve again.</summary>
    public override bool TryRecommit(in MemoryRegion region, nuint offset, nuint length) => true;

    /// <inheritdoc/>
    public override bool Decommit(in MemoryRegion region, nuint offset, nuint length)
        => Os.Advise(region.Base + offset, length, LinuxConstants.MADV_DONTNEED) == 0;

    /// <inheritdoc/>
    public override void Release(in MemoryRegion region) => ReleaseAddressSpace(region.Base, region.Size);
}
