using BenchmarkDotNet.Attributes;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// The contenders every micro-benchmark class compares, one benchmark method each (declared by the subclass, with these
/// names). BenchmarkDotNet runs each case in its own process and calls only that case's GlobalSetup, so a process holds
/// one contender: memkind's pmem kinds never share a process (memkind 1.14.0 can crash with two, see docs/benchmarks.md).
/// </summary>
public abstract unsafe class Contenders
{
    // The benchmark method names (BenchmarkDotNet matches GlobalSetup targets by name).
    protected const string NativeMemoryCase = "NativeMemory", MkPmemShmCase = "MemoryKindsPmemShm", MkPmemTmpCase = "MemoryKindsPmemTmp",
        MkDefaultCase = "MemoryKindsDefault", MemkindPmemShmCase = "MemkindPmemShm", MemkindPmemTmpCase = "MemkindPmemTmp",
        MemkindDefaultCase = "MemkindDefault", MimallocCase = "Mimalloc";

    // Fields, not properties: the loops take them by ref so a contender's state is never copied.
    protected NativeAllocator Native;
    protected KindAllocator MkPmemShm, MkPmemTmp, MkDefault;
    protected MemkindAllocator MemkindPmemShmKind, MemkindPmemTmpKind, MemkindDefaultKind;
    protected MimallocAllocator Mi;

    private Action? _release;

    [GlobalSetup(Target = NativeMemoryCase)]
    public void SetupNative() { Native = default; Prepare(ref Native); _release = () => Release(ref Native); }

    [GlobalSetup(Target = MkPmemShmCase)]
    public void SetupMkShm() { MkPmemShm = KindAllocator.Pmem(Dirs.Shm); Prepare(ref MkPmemShm); _release = () => Release(ref MkPmemShm); }

    [GlobalSetup(Target = MkPmemTmpCase)]
    public void SetupMkTmp() { MkPmemTmp = KindAllocator.Pmem(Dirs.Tmp); Prepare(ref MkPmemTmp); _release = () => Release(ref MkPmemTmp); }

    [GlobalSetup(Target = MkDefaultCase)]
    public void SetupMkDefault() { MkDefault = KindAllocator.Default(); Prepare(ref MkDefault); _release = () => Release(ref MkDefault); }

    [GlobalSetup(Target = MemkindPmemShmCase)]
    public void SetupMemkindShm()
    {
        MemkindPmemShmKind = MemkindAllocator.Pmem(Dirs.Shm);
        Prepare(ref MemkindPmemShmKind);
        _release = () => Release(ref MemkindPmemShmKind);
    }

    [GlobalSetup(Target = MemkindPmemTmpCase)]
    public void SetupMemkindTmp()
    {
        MemkindPmemTmpKind = MemkindAllocator.Pmem(Dirs.Tmp);
        Prepare(ref MemkindPmemTmpKind);
        _release = () => Release(ref MemkindPmemTmpKind);
    }

    [GlobalSetup(Target = MemkindDefaultCase)]
    public void SetupMemkindDefault()
    {
        MemkindDefaultKind = MemkindAllocator.Default();
        Prepare(ref MemkindDefaultKind);
        _release = () => Release(ref MemkindDefaultKind);
    }

    [GlobalSetup(Target = MimallocCase)]
    public void SetupMimalloc() { Mi = MimallocAllocator.Create(); Prepare(ref Mi); _release = () => Release(ref Mi); }

    [GlobalCleanup]
    public void Cleanup()
    {
        _release?.Invoke();
        _release = null;
        MkPmemShm.Dispose();
        MkPmemTmp.Dispose();
        MemkindPmemShmKind.Dispose();
        MemkindPmemTmpKind.Dispose();
        MkPmemShm = MkPmemTmp = default;
        MemkindPmemShmKind = MemkindPmemTmpKind = default;
    }

    /// <summary>Untimed per-contender preparation after the contender is made (e.g. allocating the live set).</summary>
    protected virtual void Prepare<T>(ref T allocator) where T : struct, IAllocator { }

    /// <summary>Undoes <see cref="Prepare{T}"/> with the same contender, before it is disposed.</summary>
    protected virtual void Release<T>(ref T allocator) where T : struct, IAllocator { }
}
