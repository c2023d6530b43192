namespace MemoryKinds.Native.Abi;

/// <summary>
/// A pmem kind's source in the C ABI: the library's <see cref="FileMemorySource"/>, plus what C can see of it.
/// It keeps <c>priv-&gt;current_size</c> equal to the file space reserved now (the engine's storage and the mappings
/// <c>memkind_pmem_mmap</c> handed out), enforces <c>max_size</c> over both, and makes those extra mappings.
/// </summary>
/// <remarks>
/// The engine calls a source under the kind's lock, but <c>memkind_pmem_mmap</c> comes from any C thread, so every
/// call into the file source is serialized here.
/// </remarks>
internal sealed unsafe class PmemFileSource(FileMemorySource file, PmemPriv* priv) : MemorySource
{
    private readonly Lock _lock = new();

    public override long Limit => file.Limit;
    public override long Capacity => file.Capacity;
    public override string Description => file.Description;
    public override long StorageBytes => file.StorageBytes;
    public override bool CanDecommit => file.CanDecommit;
    public override string FailureDetail => file.FailureDetail;

    public override bool TryReserve(nuint size, out MemoryRegion region)
    {
        lock (_lock) return file.TryReserve(size, out region);
    }

    public override bool TryGrow(in MemoryRegion region, nuint offset, nuint length)
    {
        lock (_lock) return TryCharge(length) && (file.TryGrow(region, offset, length) || Uncharge(length));
    }

    /// <summary>Maps without reserving: nothing to charge to <c>current_size</c> until <see cref="TryRecommit"/>.</summary>
    public override bool TryMap(in MemoryRegion region, nuint offset, nuint length)
    {
        lock (_lock) return file.TryMap(region, offset, length);
    }

    public override bool TryRecommit(in MemoryRegion region, nuint offset, nuint length)
    {
        lock (_lock) return TryCharge(length) && (file.TryRecommit(region, offset, length) || Uncharge(length));
    }

    public override bool Decommit(in MemoryRegion region, nuint offset, nuint length)
    {
        lock (_lock)
        {
            if (!file.Decommit(region, offset, length)) return false;
            Uncharge(length);
            return true;
        }
    }

    public override void Release(in MemoryRegion region)
    {
        lock (_lock) file.Release(region);
    }

    /// <summary>
    /// memkind_pmem_mmap: <paramref name="size"/> bytes (rounded up to 64 KiB) of a fresh stretch of the file, reserved
    /// before it is mapped <c>MAP_SHARED</c>; null past <c>max_size</c> or when the file system is full. The caller
    /// unmaps it; its file space stays counted until the kind is destroyed, as in memkind.
    /// </summary>
    public void* MapStandalone(nuint size)
    {
        if (size == 0 || size > nuint.MaxValue - GrowthUnit) return null;
        nuint length = (size + GrowthUnit - 1) & ~(GrowthUnit - 1);
        lock (_lock)
        {
            if (!TryCharge(length)) return null;
            if (!file.TryReserve(length, out MemoryRegion region))
            {
                Uncharge(length);
                return null;
            }
            if (file.TryGrow(region, 0, length))
            {
                priv->Offset = (nuint)(region.SourceOffset + (long)length);
                return region.Base;
            }
            file.Release(region);
            Uncharge(length);
            return null;
        }
    }

    protected override void Dispose(bool disposing) => file.Dispose();

    private bool TryCharge(nuint length)
    {
        nuint max = priv->MaxSize, current = priv->CurrentSize;
        if (max != 0 && (length > max || current > max - length)) return false;
        Volatile.Write(ref priv->CurrentSize, current + length);
        return true;
    }

    /// <summary>Takes <paramref name="length"/> back off the count; returns false so a failed call can end with it.</summary>
    private bool Uncharge(nuint length)
    {
        Volatile.Write(ref priv->CurrentSize, priv->CurrentSize - length);
        return false;
    }
}
