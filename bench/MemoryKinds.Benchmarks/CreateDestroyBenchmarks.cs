using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// A kind's whole life: create a pmem kind (no size limit) in a directory, one Alloc(64) + Free, destroy it.
/// Grouped by directory; baseline per group: MemoryKinds, so memkind's Ratio is how many times slower it is.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public unsafe class KindLifecycle
{
    private byte* _shmUtf8, _tmpUtf8;

    [GlobalSetup(Targets = [nameof(MemoryKindsPmemShm), nameof(MemoryKindsPmemTmp)])]
    public void Setup()
    {
        _shmUtf8 = (byte*)Marshal.StringToCoTaskMemUTF8(Dirs.Shm);
        _tmpUtf8 = (byte*)Marshal.StringToCoTaskMemUTF8(Dirs.Tmp);
    }

    [GlobalSetup(Targets = [nameof(MemkindPmemShm), nameof(MemkindPmemTmp)])]
    public void SetupMemkind()
    {
        Memkind.EnsureAvailable();
        Setup();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Marshal.FreeCoTaskMem((nint)_shmUtf8);
        Marshal.FreeCoTaskMem((nint)_tmpUtf8);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("/dev/shm")]
    public void MemoryKindsPmemShm() => RunMemoryKinds(Dirs.Shm);

    [Benchmark, BenchmarkCategory("/dev/shm")]
    public void MemkindPmemShm() => RunMemkind(_shmUtf8);

    [Benchmark(Baseline = true), BenchmarkCategory("/tmp")]
    public void MemoryKindsPmemTmp() => RunMemoryKinds(Dirs.Tmp);

    [Benchmark, BenchmarkCategory("/tmp")]
    public void MemkindPmemTmp() => RunMemkind(_tmpUtf8);

    private static void RunMemoryKinds(string directory)
    {
        using PmemKind kind = PmemKind.Create(directory);
        kind.Free(kind.Alloc(64));
    }

    private static void RunMemkind(byte* directory)
    {
        nint kind = Memkind.CreatePmem(directory, 0);
        void* p = Memkind.memkind_malloc(kind, 64);
        if (p == null) throw new OutOfMemoryException("memkind_malloc returned NULL.");
        Memkind.memkind_free(kind, p);
        Memkind.Destroy(kind);
    }
}
