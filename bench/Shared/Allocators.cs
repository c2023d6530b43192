using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// A contender: something that allocates and frees native blocks. The implementations are structs so that the
/// benchmark loops (generic over <c>T : struct, IAllocator</c>) are specialized per contender and call it directly, with
/// no interface dispatch added to the measured cost.
/// </summary>
public unsafe interface IAllocator : IDisposable
{
    string Name { get; }
    void* Alloc(nuint size);
    void Free(void* ptr);

    /// <summary>calloc: <paramref name="count"/> × <paramref name="size"/> zeroed bytes, freed with <see cref="Free"/>.</summary>
    void* AllocZeroed(nuint count, nuint size);

    /// <summary>realloc of a block from <see cref="Alloc"/>, <see cref="AllocZeroed"/> or an earlier Realloc.</summary>
    void* Realloc(void* ptr, nuint size);

    /// <summary>A block aligned to <paramref name="alignment"/> (a power of two), freed with <see cref="AlignedFree"/>.</summary>
    void* AlignedAlloc(nuint size, nuint alignment);

    /// <summary>
    /// Frees a block from <see cref="AlignedAlloc"/>. Separate from <see cref="Free"/> because NativeMemory requires it
    /// (NativeMemory.AlignedFree); every other contender frees aligned blocks like any other.
    /// </summary>
    void AlignedFree(void* ptr);
}

/// <summary>A MemoryKinds kind: a <see cref="PmemKind"/> (disposed with the contender) or <see cref="MemoryKind.Default"/>.</summary>
public readonly unsafe struct KindAllocator(MemoryKind kind, string name) : IAllocator
{
    private readonly MemoryKind _kind = kind;

    public string Name { get; } = name;

    /// <summary>The kind itself (for TryAlloc, bounded kinds and its file's size).</summary>
    public MemoryKind Kind => _kind;

    public static KindAllocator Pmem(string directory) => new(PmemKind.Create(directory), $"MemoryKinds pmem {directory}");

    public static KindAllocator Default() => new(MemoryKind.Default, "MemoryKinds Default");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Alloc(nuint size) => _kind.Alloc(size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Free(void* ptr) => _kind.Free(ptr);

    public void* AllocZeroed(nuint count, nuint size) => _kind.AllocZeroed(count, size);

    public void* Realloc(void* ptr, nuint size) => _kind.Realloc(ptr, size);

    public void* AlignedAlloc(nuint size, nuint alignment) => _kind.AlignedAlloc(size, alignment);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AlignedFree(void* ptr) => _kind.Free(ptr);

    public void Dispose() => _kind?.Dispose();
}

/// <summary>NativeMemory.Alloc/Free: glibc malloc/free from C#.</summary>
public readonly unsafe struct NativeAllocator : IAllocator
{
    public string Name => "NativeMemory (glibc)";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Alloc(nuint size) => NativeMemory.Alloc(size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Free(void* ptr) => NativeMemory.Free(ptr);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* AllocZeroed(nuint count, nuint size) => NativeMemory.AllocZeroed(count, size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Realloc(void* ptr, nuint size) => NativeMemory.Realloc(ptr, size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* AlignedAlloc(nuint size, nuint alignment) => NativeMemory.AlignedAlloc(size, alignment);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AlignedFree(void* ptr) => NativeMemory.AlignedFree(ptr);

    public void Dispose() { }
}

/// <summary>A memkind kind: a pmem kind made by memkind_create_pmem (destroyed with the contender) or MEMKIND_DEFAULT.</summary>
public readonly unsafe struct MemkindAllocator : IAllocator
{
    private readonly nint _kind;
    private readonly bool _owned;

    private MemkindAllocator(nint kind, bool owned, string name)
    {
        _kind = kind;
        _owned = owned;
        Name = name;
    }

    public string Name { get; }

    /// <exception cref="InvalidOperationException">libmemkind.so.0 is missing (the message gives the apt command), or creation failed.</exception>
    public static MemkindAllocator Pmem(string directory)
    {
        Memkind.EnsureAvailable();
        nint dir = Marshal.StringToCoTaskMemUTF8(directory);
        try
        {
            return new MemkindAllocator(Memkind.CreatePmem((byte*)dir, 0), owned: true, $"memkind pmem {directory}");
        }
        finally
        {
            Marshal.FreeCoTaskMem(dir);
        }
    }

    /// <exception cref="InvalidOperationException">libmemkind.so.0 is missing (the message gives the apt command).</exception>
    public static MemkindAllocator Default() => new(Memkind.Default, owned: false, "memkind MEMKIND_DEFAULT");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Alloc(nuint size) => Memkind.memkind_malloc(_kind, size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Free(void* ptr) => Memkind.memkind_free(_kind, ptr);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* AllocZeroed(nuint count, nuint size) => Memkind.memkind_calloc(_kind, count, size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Realloc(void* ptr, nuint size) => Memkind.memkind_realloc(_kind, ptr, size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* AlignedAlloc(nuint size, nuint alignment)
    {
        void* p;
        return Memkind.memkind_posix_memalign(_kind, &p, alignment, size) == 0 ? p : null;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AlignedFree(void* ptr) => Memkind.memkind_free(_kind, ptr);

    public void Dispose()
    {
        if (_owned && _kind != 0) Memkind.Destroy(_kind);
    }
}

/// <summary>The directories the file-backed contenders use: tmpfs and the root file system (ext4 here).</summary>
public static class Dirs
{
    public const string Shm = "/dev/shm";
    public const string Tmp = "/tmp";
}
