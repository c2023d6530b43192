using MemoryKinds;

/// <summary>Where a cache configuration allocates its values: one kind, or tiered memory.</summary>
internal abstract unsafe class ValueMemory : IDisposable
{
    /// <summary>The DRAM kind values may be in (null for all-pmem); only values use it, so its stats are the values' DRAM.</summary>
    public abstract MemoryKind? DramKind { get; }

    public abstract void* Alloc(nuint size);

    /// <summary>Allocates in DRAM when the memory has a DRAM tier to name (tiered memory), else like <see cref="Alloc"/>.</summary>
    public virtual void* AllocInDram(nuint size) => Alloc(size);

    public abstract void Free(void* value);

    public abstract bool IsDram(void* value);

    /// <summary>Usable bytes of the values in DRAM, as the memory counts them.</summary>
    public abstract long DramBytes { get; }

    /// <summary>Usable bytes of all values.</summary>
    public abstract long TotalBytes { get; }

    /// <summary>Called after a value landed in DRAM: tiered memory tracks its peak and how far it went past its share.</summary>
    public virtual void NoteDramGrowth() { }

    public abstract void Dispose();
}

/// <summary>Every value in one kind: a DRAM kind (all-DRAM) or a pmem kind (all-pmem).</summary>
internal sealed unsafe class OneKindMemory(MemoryKind kind, bool isDram) : ValueMemory
{
    public override MemoryKind? DramKind => isDram ? kind : null;

    public MemoryKind Kind => kind;

    public override void* Alloc(nuint size) => kind.Alloc(size);

    public override void Free(void* value) => kind.Free(value);

    public override bool IsDram(void* value) => isDram;

    public override long DramBytes => isDram ? kind.GetStats().Allocated : 0;

    public override long TotalBytes => kind.GetStats().Allocated;

    public override void Dispose() => kind.Dispose();
}

/// <summary>
/// Values placed by <see cref="TieredMemory"/> (StaticRatio) over a DRAM kind and a pmem kind, moved between them by
/// <see cref="TieredMemory.MoveTo"/> (which moves the bytes in the tiers' counts; <see cref="MemoryKind.MoveTo"/> itself
/// does the copy). Tracks the peak of DRAM's bytes and the most DRAM ever held above its share.
/// </summary>
internal sealed unsafe class TieredValueMemory(MemoryKind dram, MemoryKind pmem, int pmemRatio) : ValueMemory
{
    private readonly TieredMemory _tiers = TieredMemory.Create(TierPolicy.StaticRatio, (dram, 1), (pmem, pmemRatio));
    private readonly double _dramShare = 1.0 / (1 + pmemRatio);

    public override MemoryKind? DramKind => dram;

    public MemoryKind PmemKind => pmem;

    public TieredMemory Tiers => _tiers;

    public double DramShare => _dramShare;

    /// <summary>The most DRAM bytes seen after a value landed in DRAM.</summary>
    public long PeakDramBytes { get; private set; }

    /// <summary>The most DRAM held beyond its share of the total, seen at the same moments (negative: never above).</summary>
    public long MaxBytesAboveShare { get; private set; } = long.MinValue;

    public override void* Alloc(nuint size) => _tiers.Alloc(size);

    /// <summary>In DRAM whatever StaticRatio would pick, counted (<see cref="TieredMemory.AllocIn"/>); pmem when DRAM is full.</summary>
    public override void* AllocInDram(nuint size) => _tiers.AllocIn(dram, size);

    public override void Free(void* value) => _tiers.Free(value);

    public override bool IsDram(void* value) => ReferenceEquals(MemoryKind.Detect(value), dram);

    public override long DramBytes => _tiers.AllocatedBytes(dram);

    public override long TotalBytes => _tiers.AllocatedBytes(dram) + _tiers.AllocatedBytes(pmem);

    public long PmemBytes => _tiers.AllocatedBytes(pmem);

    public nuint UsableSize(void* value) => _tiers.GetUsableSize(value);

    /// <summary>Moves a value to DRAM or to pmem; null when the target cannot take it.</summary>
    public void* MoveTo(void* value, bool toDram) => _tiers.MoveTo(value, toDram ? dram : pmem);

    public override void NoteDramGrowth()
    {
        long inDram = _tiers.AllocatedBytes(dram);
        long total = inDram + _tiers.AllocatedBytes(pmem);
        PeakDramBytes = Math.Max(PeakDramBytes, inDram);
        MaxBytesAboveShare = Math.Max(MaxBytesAboveShare, inDram - (long)(total * _dramShare));
    }

    public override void Dispose()
    {
        _tiers.Dispose();
        dram.Dispose();
        pmem.Dispose();
    }
}
