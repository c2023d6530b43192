using BenchmarkDotNet.Attributes;

namespace MemoryKinds.Benchmarks;

// One class per workload; each has the eight contenders of Contenders.cs as benchmark methods and NativeMemory as the
// baseline. Times are per operation (OperationsPerInvoke), so the columns read as ns per alloc+free pair, per step, etc.

/// <summary>The fast path: <see cref="Operations"/> × (Alloc(Size); Free) per invocation; time per pair.</summary>
[BenchmarkCategory("AllocFree")]
public class AllocFreePair : Contenders
{
    public const int Operations = 1000;

    [Params(16, 64, 1024)]
    public int Size { get; set; }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)] public void NativeMemory() => Loops.Pairs(ref Native, (nuint)Size, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemoryKindsPmemShm() => Loops.Pairs(ref MkPmemShm, (nuint)Size, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemoryKindsPmemTmp() => Loops.Pairs(ref MkPmemTmp, (nuint)Size, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemoryKindsDefault() => Loops.Pairs(ref MkDefault, (nuint)Size, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemkindPmemShm() => Loops.Pairs(ref MemkindPmemShmKind, (nuint)Size, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemkindPmemTmp() => Loops.Pairs(ref MemkindPmemTmpKind, (nuint)Size, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemkindDefault() => Loops.Pairs(ref MemkindDefaultKind, (nuint)Size, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void Mimalloc() => Loops.Pairs(ref Mi, (nuint)Size, Operations);
}

/// <summary>Which block a batch frees first.</summary>
public enum FreeOrder
{
    /// <summary>Newest first (a stack).</summary>
    Lifo,

    /// <summary>Oldest first (a queue).</summary>
    Fifo,
}

/// <summary><see cref="Count"/> × Alloc(64) into an array, then <see cref="Count"/> frees in <see cref="Order"/>; time per alloc+free.</summary>
[BenchmarkCategory("Batch")]
public unsafe class Batch64 : Contenders
{
    public const int Count = 1000;
    private const nuint Size = 64;

    private void** _slots;

    [Params(FreeOrder.Lifo, FreeOrder.Fifo)]
    public FreeOrder Order { get; set; }

    protected override void Prepare<T>(ref T allocator) =>
        _slots = (void**)System.Runtime.InteropServices.NativeMemory.AllocZeroed(Count, (nuint)sizeof(void*));

    protected override void Release<T>(ref T allocator)
    {
        System.Runtime.InteropServices.NativeMemory.Free(_slots);
        _slots = null;
    }

    private void Run<T>(ref T allocator) where T : struct, IAllocator
    {
        if (Order == FreeOrder.Lifo) Loops.BatchLifo(ref allocator, Size, _slots, Count);
        else Loops.BatchFifo(ref allocator, Size, _slots, Count);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Count)] public void NativeMemory() => Run(ref Native);
    [Benchmark(OperationsPerInvoke = Count)] public void MemoryKindsPmemShm() => Run(ref MkPmemShm);
    [Benchmark(OperationsPerInvoke = Count)] public void MemoryKindsPmemTmp() => Run(ref MkPmemTmp);
    [Benchmark(OperationsPerInvoke = Count)] public void MemoryKindsDefault() => Run(ref MkDefault);
    [Benchmark(OperationsPerInvoke = Count)] public void MemkindPmemShm() => Run(ref MemkindPmemShmKind);
    [Benchmark(OperationsPerInvoke = Count)] public void MemkindPmemTmp() => Run(ref MemkindPmemTmpKind);
    [Benchmark(OperationsPerInvoke = Count)] public void MemkindDefault() => Run(ref MemkindDefaultKind);
    [Benchmark(OperationsPerInvoke = Count)] public void Mimalloc() => Run(ref Mi);
}

/// <summary>
/// Random sizes 16–1024 B with 1,000 live blocks (see <see cref="MemoryKinds.Benchmarks.RandomMix"/>): per step one
/// Free of a random live block and one Alloc of a random size; time per step.
/// </summary>
[BenchmarkCategory("RandomMix")]
public class RandomSizeMix : Contenders
{
    public const int Steps = 1024;

    private RandomMix? _mix;

    private RandomMix Mix => _mix!;

    protected override void Prepare<T>(ref T allocator)
    {
        _mix = new RandomMix();
        _mix.Fill(ref allocator);
    }

    protected override void Release<T>(ref T allocator)
    {
        _mix?.Drain(ref allocator);
        _mix?.Dispose();
        _mix = null;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Steps)] public void NativeMemory() => Mix.Run(ref Native, Steps);
    [Benchmark(OperationsPerInvoke = Steps)] public void MemoryKindsPmemShm() => Mix.Run(ref MkPmemShm, Steps);
    [Benchmark(OperationsPerInvoke = Steps)] public void MemoryKindsPmemTmp() => Mix.Run(ref MkPmemTmp, Steps);
    [Benchmark(OperationsPerInvoke = Steps)] public void MemoryKindsDefault() => Mix.Run(ref MkDefault, Steps);
    [Benchmark(OperationsPerInvoke = Steps)] public void MemkindPmemShm() => Mix.Run(ref MemkindPmemShmKind, Steps);
    [Benchmark(OperationsPerInvoke = Steps)] public void MemkindPmemTmp() => Mix.Run(ref MemkindPmemTmpKind, Steps);
    [Benchmark(OperationsPerInvoke = Steps)] public void MemkindDefault() => Mix.Run(ref MemkindDefaultKind, Steps);
    [Benchmark(OperationsPerInvoke = Steps)] public void Mimalloc() => Mix.Run(ref Mi, Steps);
}

/// <summary>calloc: <see cref="Operations"/> × (AllocZeroed(1, Size); Free); time per pair.</summary>
[BenchmarkCategory("Calloc")]
public class CallocPair : Contenders
{
    public const int Operations = 1000;

    [Params(64, 4096)]
    public int Size { get; set; }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)] public void NativeMemory() => Loops.ZeroedPairs(ref Native, (nuint)Size, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemoryKindsPmemShm() => Loops.ZeroedPairs(ref MkPmemShm, (nuint)Size, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemoryKindsPmemTmp() => Loops.ZeroedPairs(ref MkPmemTmp, (nuint)Size, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemoryKindsDefault() => Loops.ZeroedPairs(ref MkDefault, (nuint)Size, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemkindPmemShm() => Loops.ZeroedPairs(ref MemkindPmemShmKind, (nuint)Size, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemkindPmemTmp() => Loops.ZeroedPairs(ref MemkindPmemTmpKind, (nuint)Size, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemkindDefault() => Loops.ZeroedPairs(ref MemkindDefaultKind, (nuint)Size, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void Mimalloc() => Loops.ZeroedPairs(ref Mi, (nuint)Size, Operations);
}

/// <summary>A buffer growing 16 B → 1 MiB by doubling reallocs (17 sizes), then freed; time per whole growth.</summary>
[BenchmarkCategory("Realloc")]
public class ReallocGrowth : Contenders
{
    private const nuint From = 16, To = 1 << 20;

    [Benchmark(Baseline = true)] public void NativeMemory() => Loops.ReallocGrowth(ref Native, From, To);
    [Benchmark] public void MemoryKindsPmemShm() => Loops.ReallocGrowth(ref MkPmemShm, From, To);
    [Benchmark] public void MemoryKindsPmemTmp() => Loops.ReallocGrowth(ref MkPmemTmp, From, To);
    [Benchmark] public void MemoryKindsDefault() => Loops.ReallocGrowth(ref MkDefault, From, To);
    [Benchmark] public void MemkindPmemShm() => Loops.ReallocGrowth(ref MemkindPmemShmKind, From, To);
    [Benchmark] public void MemkindPmemTmp() => Loops.ReallocGrowth(ref MemkindPmemTmpKind, From, To);
    [Benchmark] public void MemkindDefault() => Loops.ReallocGrowth(ref MemkindDefaultKind, From, To);
    [Benchmark] public void Mimalloc() => Loops.ReallocGrowth(ref Mi, From, To);
}

/// <summary>
/// Aligned allocation: <see cref="Operations"/> × (AlignedAlloc(256, Alignment); free); time per pair. 64 is a cache
/// line (above every allocator's natural 16), 4096 a page (which a general allocator must over-allocate and trim for).
/// </summary>
[BenchmarkCategory("Aligned")]
public class AlignedPair : Contenders
{
    public const int Operations = 1000;
    private const nuint Size = 256;

    [Params(64, 4096)]
    public int Alignment { get; set; }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)] public void NativeMemory() => Loops.AlignedPairs(ref Native, Size, (nuint)Alignment, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemoryKindsPmemShm() => Loops.AlignedPairs(ref MkPmemShm, Size, (nuint)Alignment, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemoryKindsPmemTmp() => Loops.AlignedPairs(ref MkPmemTmp, Size, (nuint)Alignment, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemoryKindsDefault() => Loops.AlignedPairs(ref MkDefault, Size, (nuint)Alignment, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemkindPmemShm() => Loops.AlignedPairs(ref MemkindPmemShmKind, Size, (nuint)Alignment, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemkindPmemTmp() => Loops.AlignedPairs(ref MemkindPmemTmpKind, Size, (nuint)Alignment, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void MemkindDefault() => Loops.AlignedPairs(ref MemkindDefaultKind, Size, (nuint)Alignment, Operations);
    [Benchmark(OperationsPerInvoke = Operations)] public void Mimalloc() => Loops.AlignedPairs(ref Mi, Size, (nuint)Alignment, Operations);
}
