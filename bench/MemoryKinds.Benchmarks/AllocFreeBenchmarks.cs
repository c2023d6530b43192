using BenchmarkDotNet.Attributes;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// The fast path: <see cref="Operations"/> pairs of Alloc(Size) + Free per invocation, so the reported time is the cost
/// of one pair. Baseline: NativeMemory (glibc malloc/free).
/// </summary>
[BenchmarkCategory("AllocFree")]
public unsafe class AllocFreePair
{
    public const int Operations = 1000;

    [Params(16, 64, 1024)]
    public int Size { get; set; }

    private NativeAllocator _native;
    private KindAllocator _mkPmemShm, _mkPmemTmp, _mkDefault;
    private MemkindAllocator _memkindPmemShm, _memkindPmemTmp, _memkindDefault;

    [GlobalSetup(Target = nameof(MemoryKindsPmemShm))] public void SetupMkShm() => _mkPmemShm = KindAllocator.Pmem(Dirs.Shm);
    [GlobalSetup(Target = nameof(MemoryKindsPmemTmp))] public void SetupMkTmp() => _mkPmemTmp = KindAllocator.Pmem(Dirs.Tmp);
    [GlobalSetup(Target = nameof(MemoryKindsDefault))] public void SetupMkDefault() => _mkDefault = KindAllocator.Default();
    [GlobalSetup(Target = nameof(MemkindPmemShm))] public void SetupMemkindShm() => _memkindPmemShm = MemkindAllocator.Pmem(Dirs.Shm);
    [GlobalSetup(Target = nameof(MemkindPmemTmp))] public void SetupMemkindTmp() => _memkindPmemTmp = MemkindAllocator.Pmem(Dirs.Tmp);
    [GlobalSetup(Target = nameof(MemkindDefault))] public void SetupMemkindDefault() => _memkindDefault = MemkindAllocator.Default();

    [GlobalCleanup]
    public void Cleanup()
    {
        _mkPmemShm.Dispose();
        _mkPmemTmp.Dispose();
        _memkindPmemShm.Dispose();
        _memkindPmemTmp.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public void NativeMemory() => Loops.Pairs(ref _native, (nuint)Size, Operations);

    [Benchmark(OperationsPerInvoke = Operations)]
    public void MemoryKindsPmemShm() => Loops.Pairs(ref _mkPmemShm, (nuint)Size, Operations);

    [Benchmark(OperationsPerInvoke = Operations)]
    public void MemoryKindsPmemTmp() => Loops.Pairs(ref _mkPmemTmp, (nuint)Size, Operations);

    [Benchmark(OperationsPerInvoke = Operations)]
    public void MemoryKindsDefault() => Loops.Pairs(ref _mkDefault, (nuint)Size, Operations);

    [Benchmark(OperationsPerInvoke = Operations)]
    public void MemkindPmemShm() => Loops.Pairs(ref _memkindPmemShm, (nuint)Size, Operations);

    [Benchmark(OperationsPerInvoke = Operations)]
    public void MemkindPmemTmp() => Loops.Pairs(ref _memkindPmemTmp, (nuint)Size, Operations);

    [Benchmark(OperationsPerInvoke = Operations)]
    public void MemkindDefault() => Loops.Pairs(ref _memkindDefault, (nuint)Size, Operations);
}

/// <summary>
/// <see cref="Count"/> allocations of 64 B, then <see cref="Count"/> frees newest first; the reported time is per
/// alloc+free (OperationsPerInvoke = Count). Baseline: NativeMemory.
/// </summary>
[BenchmarkCategory("Batch")]
public unsafe class BatchLifo64
{
    public const int Count = 1000;
    private const nuint Size = 64;

    private void** _slots;
    private NativeAllocator _native;
    private KindAllocator _mkPmemShm, _mkPmemTmp, _mkDefault;
    private MemkindAllocator _memkindPmemShm, _memkindPmemTmp, _memkindDefault;

    private void Slots() => _slots = (void**)System.Runtime.InteropServices.NativeMemory.AllocZeroed(Count, (nuint)sizeof(void*));

    [GlobalSetup(Target = nameof(NativeMemory))] public void SetupNative() => Slots();
    [GlobalSetup(Target = nameof(MemoryKindsPmemShm))] public void SetupMkShm() { Slots(); _mkPmemShm = KindAllocator.Pmem(Dirs.Shm); }
    [GlobalSetup(Target = nameof(MemoryKindsPmemTmp))] public void SetupMkTmp() { Slots(); _mkPmemTmp = KindAllocator.Pmem(Dirs.Tmp); }
    [GlobalSetup(Target = nameof(MemoryKindsDefault))] public void SetupMkDefault() { Slots(); _mkDefault = KindAllocator.Default(); }
    [GlobalSetup(Target = nameof(MemkindPmemShm))] public void SetupMemkindShm() { Slots(); _memkindPmemShm = MemkindAllocator.Pmem(Dirs.Shm); }
    [GlobalSetup(Target = nameof(MemkindPmemTmp))] public void SetupMemkindTmp() { Slots(); _memkindPmemTmp = MemkindAllocator.Pmem(Dirs.Tmp); }
    [GlobalSetup(Target = nameof(MemkindDefault))] public void SetupMemkindDefault() { Slots(); _memkindDefault = MemkindAllocator.Default(); }

    [GlobalCleanup]
    public void Cleanup()
    {
        _mkPmemShm.Dispose();
        _mkPmemTmp.Dispose();
        _memkindPmemShm.Dispose();
        _memkindPmemTmp.Dispose();
        System.Runtime.InteropServices.NativeMemory.Free(_slots);
        _slots = null;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Count)]
    public void NativeMemory() => Loops.Batch(ref _native, Size, _slots, Count);

    [Benchmark(OperationsPerInvoke = Count)]
    public void MemoryKindsPmemShm() => Loops.Batch(ref _mkPmemShm, Size, _slots, Count);

    [Benchmark(OperationsPerInvoke = Count)]
    public void MemoryKindsPmemTmp() => Loops.Batch(ref _mkPmemTmp, Size, _slots, Count);

    [Benchmark(OperationsPerInvoke = Count)]
    public void MemoryKindsDefault() => Loops.Batch(ref _mkDefault, Size, _slots, Count);

    [Benchmark(OperationsPerInvoke = Count)]
    public void MemkindPmemShm() => Loops.Batch(ref _memkindPmemShm, Size, _slots, Count);

    [Benchmark(OperationsPerInvoke = Count)]
    public void MemkindPmemTmp() => Loops.Batch(ref _memkindPmemTmp, Size, _slots, Count);

    [Benchmark(OperationsPerInvoke = Count)]
    public void MemkindDefault() => Loops.Batch(ref _memkindDefault, Size, _slots, Count);
}
