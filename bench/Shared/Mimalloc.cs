using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// mimalloc (libmimalloc.so.2, Debian package libmimalloc2.0) through LibraryImport. Loaded with dlopen, so it does not
/// replace malloc: mi_malloc/mi_free are called directly. <see cref="IsAvailable"/> says whether it loads;
/// <see cref="MissingMessage"/> says why not and how to install it. <see cref="HasArenas"/>: the library exports
/// mi_manage_os_memory_ex and mi_heap_new_in_arena (2.0.9 does), which the file-arena contender needs.
/// </summary>
internal static unsafe partial class Mimalloc
{
    public const string LibraryName = "libmimalloc.so.2";
    public const string InstallCommand = "apt-get update && apt-get install -y libmimalloc2.0";

    private static readonly Lazy<(nint Handle, string? Error)> s_library = new(Load);

    public static bool IsAvailable => s_library.Value.Error is null;

    public static bool HasArenas =>
        IsAvailable
        && NativeLibrary.TryGetExport(s_library.Value.Handle, "mi_manage_os_memory_ex", out _)
        && NativeLibrary.TryGetExport(s_library.Value.Handle, "mi_heap_new_in_arena", out _);

    public static string MissingMessage =>
        $"mimalloc contender MISSING: {LibraryName} could not be loaded ({s_library.Value.Error}). Install it with: {InstallCommand}";

    public static string NoArenaMessage =>
        $"mimalloc file-arena contender MISSING: {LibraryName} does not export mi_manage_os_memory_ex/mi_heap_new_in_arena (needs mimalloc >= 2.0.9).";

    public static void EnsureAvailable()
    {
        if (!IsAvailable) throw new InvalidOperationException(MissingMessage);
    }

    [LibraryImport(LibraryName)] public static partial void* mi_malloc(nuint size);
    [LibraryImport(LibraryName)] public static partial void mi_free(void* p);
    [LibraryImport(LibraryName)] public static partial void* mi_calloc(nuint count, nuint size);
    [LibraryImport(LibraryName)] public static partial void* mi_realloc(void* p, nuint size);
    [LibraryImport(LibraryName)] public static partial void* mi_malloc_aligned(nuint size, nuint alignment);
    [LibraryImport(LibraryName)] public static partial void* mi_heap_malloc(nint heap, nuint size);
    [LibraryImport(LibraryName)] public static partial void* mi_heap_calloc(nint heap, nuint count, nuint size);
    [LibraryImport(LibraryName)] public static partial void* mi_heap_realloc(nint heap, void* p, nuint size);
    [LibraryImport(LibraryName)] public static partial void* mi_heap_malloc_aligned(nint heap, nuint size, nuint alignment);
    [LibraryImport(LibraryName)] public static partial nint mi_heap_new_in_arena(int arenaId);

    [LibraryImport(LibraryName)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool mi_manage_os_memory_ex(void* start, nuint size, [MarshalAs(UnmanagedType.U1)] bool isCommitted,
        [MarshalAs(UnmanagedType.U1)] bool isLarge, [MarshalAs(UnmanagedType.U1)] bool isZero, int numaNode,
        [MarshalAs(UnmanagedType.U1)] bool exclusive, int* arenaId);

    private static (nint, string?) Load()
    {
        try
        {
            return (NativeLibrary.Load(LibraryName), null);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            return (0, e.Message);
        }
    }
}

/// <summary>mimalloc's default heap: mi_malloc / mi_free.</summary>
public readonly unsafe struct MimallocAllocator : IAllocator
{
    public string Name => "mimalloc";

    public static MimallocAllocator Create()
    {
        Mimalloc.EnsureAvailable();
        return default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Alloc(nuint size) => Mimalloc.mi_malloc(size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Free(void* ptr) => Mimalloc.mi_free(ptr);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* AllocZeroed(nuint count, nuint size) => Mimalloc.mi_calloc(count, size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Realloc(void* ptr, nuint size) => Mimalloc.mi_realloc(ptr, size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* AlignedAlloc(nuint size, nuint alignment) => Mimalloc.mi_malloc_aligned(size, alignment);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AlignedFree(void* ptr) => Mimalloc.mi_free(ptr);

    public void Dispose() { }
}

/// <summary>
/// mimalloc over a file mapping: an unlinked temporary file in a directory (sparse, <see cref="ArenaBytes"/>), mapped
/// MAP_SHARED at a 64 MiB-aligned address and given to mimalloc as an exclusive arena (mi_manage_os_memory_ex, committed,
/// pinned, zero); each thread allocates from its own heap in that arena (mi_heap_new_in_arena, made on first use: a
/// mimalloc v2 heap only allocates on its own thread), frees go through mi_free from any thread. mimalloc cannot
/// unregister an arena, so there is one per directory per process (plus any made with fresh: true, for measuring
/// the file of one workload) and none is ever unmapped.
/// </summary>
public readonly unsafe struct MimallocArenaAllocator : IAllocator
{
    public static readonly long ArenaBytes = 8L << 30;
    private static readonly Dictionary<string, (int Arena, int Fd)> s_arenas = new();

    [ThreadStatic] private static nint t_heap;
    [ThreadStatic] private static int t_heapArena;

    private readonly int _arena;

    private MimallocArenaAllocator(int arena, int fd, string directory)
    {
        _arena = arena;
        FileDescriptor = fd;
        Name = $"mimalloc arena {directory}";
    }

    public string Name { get; }

    /// <summary>The arena file's descriptor (for st_blocks).</summary>
    public int FileDescriptor { get; }

    /// <exception cref="InvalidOperationException">The library or its arena API is missing, or the mapping failed.</exception>
    public static MimallocArenaAllocator Create(string directory, bool fresh = false)
    {
        Mimalloc.EnsureAvailable();
        if (!Mimalloc.HasArenas) throw new InvalidOperationException(Mimalloc.NoArenaMessage);
        lock (s_arenas)
        {
            if (fresh || !s_arenas.TryGetValue(directory, out var arena))
            {
                arena = MapArena(directory);
                if (!fresh) s_arenas[directory] = arena;
            }
            return new MimallocArenaAllocator(arena.Arena, arena.Fd, directory);
        }
    }

    private static (int, int) MapArena(string directory)
    {
        const int O_RDWR = 2, O_TMPFILE = 0x410000, PROT_RW = 3, MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20,
            MAP_NORESERVE = 0x4000, MAP_FIXED = 0x10, PROT_NONE = 0;
        const long Align = 64L << 20;
        int fd = Libc.open(directory, O_RDWR | O_TMPFILE, 0x180);
        if (fd < 0) throw new InvalidOperationException($"open(O_TMPFILE) in {directory} failed: errno {Marshal.GetLastPInvokeError()}");
        if (Libc.ftruncate(fd, ArenaBytes) != 0) throw new InvalidOperationException($"ftruncate failed: errno {Marshal.GetLastPInvokeError()}");
        // Reserve with slack, then map the file MAP_FIXED at an aligned address inside the reservation.
        byte* reserve = (byte*)Libc.mmap(null, (nuint)(ArenaBytes + Align), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (reserve == (byte*)-1) throw new InvalidOperationException("mmap reserve failed");
        byte* start = (byte*)(((nint)reserve + (nint)(Align - 1)) & ~(nint)(Align - 1));
        void* p = Libc.mmap(start, (nuint)ArenaBytes, PROT_RW, MAP_SHARED | MAP_FIXED, fd, 0);
        if (p != start) throw new InvalidOperationException($"mmap of the arena file failed: errno {Marshal.GetLastPInvokeError()}");
        int id;
        if (!Mimalloc.mi_manage_os_memory_ex(start, (nuint)ArenaBytes, true, true, true, -1, true, &id))
            throw new InvalidOperationException("mi_manage_os_memory_ex failed");
        return (id, fd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Alloc(nuint size) => Mimalloc.mi_heap_malloc(Heap(), size);

    // Realloc, calloc and aligned allocation go through this thread's arena heap too, so their blocks stay in the file.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* AllocZeroed(nuint count, nuint size) => Mimalloc.mi_heap_calloc(Heap(), count, size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Realloc(void* ptr, nuint size) => Mimalloc.mi_heap_realloc(Heap(), ptr, size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* AlignedAlloc(nuint size, nuint alignment) => Mimalloc.mi_heap_malloc_aligned(Heap(), size, alignment);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AlignedFree(void* ptr) => Mimalloc.mi_free(ptr);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private nint Heap()
    {
        nint heap = t_heap;
        return heap == 0 || t_heapArena != _arena ? NewHeap() : heap;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private nint NewHeap()
    {
        nint heap = Mimalloc.mi_heap_new_in_arena(_arena);
        if (heap == 0) throw new InvalidOperationException("mi_heap_new_in_arena returned NULL");
        t_heap = heap;
        t_heapArena = _arena;
        return heap;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Free(void* ptr) => Mimalloc.mi_free(ptr);

    public void Dispose() { }
}

/// <summary>The few libc calls the contenders and workloads need.</summary>
internal static unsafe partial class Libc
{
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fstat(int fd, byte* statBuffer);

    /// <summary>st_blocks × 512 of an open file (x86-64 struct stat: st_blocks at offset 64), or -1.</summary>
    public static long AllocatedBytes(int fd)
    {
        byte* buffer = stackalloc byte[256];
        if (fstat(fd, buffer) != 0) return -1;
        return *(long*)(buffer + 64) * 512;
    }
}
