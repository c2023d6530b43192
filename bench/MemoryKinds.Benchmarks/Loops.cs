using System.Runtime.CompilerServices;

namespace MemoryKinds.Benchmarks;

/// <summary>The measured loops, specialized per contender struct so each contender is called directly.</summary>
internal static unsafe class Loops
{
    /// <summary><paramref name="count"/> times: allocate <paramref name="size"/> bytes, free them.</summary>
    public static void Pairs<T>(ref T allocator, nuint size, int count) where T : struct, IAllocator
    {
        for (int i = 0; i < count; i++)
        {
            void* p = allocator.Alloc(size);
            if (p == null) ThrowNull(allocator.Name, size);
            allocator.Free(p);
        }
    }

    /// <summary>Allocates <paramref name="count"/> blocks into <paramref name="slots"/>, then frees them newest first (LIFO).</summary>
    public static void BatchLifo<T>(ref T allocator, nuint size, void** slots, int count) where T : struct, IAllocator
    {
        AllocInto(ref allocator, size, slots, count);
        for (int i = count - 1; i >= 0; i--) allocator.Free(slots[i]);
    }

    /// <summary>Allocates <paramref name="count"/> blocks into <paramref name="slots"/>, then frees them oldest first (FIFO).</summary>
    public static void BatchFifo<T>(ref T allocator, nuint size, void** slots, int count) where T : struct, IAllocator
    {
        AllocInto(ref allocator, size, slots, count);
        for (int i = 0; i < count; i++) allocator.Free(slots[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AllocInto<T>(ref T allocator, nuint size, void** slots, int count) where T : struct, IAllocator
    {
        for (int i = 0; i < count; i++)
        {
            void* p = allocator.Alloc(size);
            if (p == null) ThrowNull(allocator.Name, size);
            slots[i] = p;
        }
    }

    /// <summary><paramref name="count"/> times: calloc(1, <paramref name="size"/>), free.</summary>
    public static void ZeroedPairs<T>(ref T allocator, nuint size, int count) where T : struct, IAllocator
    {
        for (int i = 0; i < count; i++)
        {
            void* p = allocator.AllocZeroed(1, size);
            if (p == null) ThrowNull(allocator.Name, size);
            allocator.Free(p);
        }
    }

    /// <summary>
    /// <paramref name="count"/> times: allocate <paramref name="size"/> bytes aligned to <paramref name="alignment"/>, free
    /// them. The alignment is checked (one AND and a branch, the same for every contender).
    /// </summary>
    public static void AlignedPairs<T>(ref T allocator, nuint size, nuint alignment, int count) where T : struct, IAllocator
    {
        for (int i = 0; i < count; i++)
        {
            void* p = allocator.AlignedAlloc(size, alignment);
            if (p == null) ThrowNull(allocator.Name, size);
            if (((nuint)p & (alignment - 1)) != 0) ThrowMisaligned(allocator.Name, p, alignment);
            allocator.AlignedFree(p);
        }
    }

    /// <summary>
    /// A buffer growing by doubling: Alloc(<paramref name="from"/>), then Realloc to 2×, 4×, … up to <paramref name="to"/>,
    /// then Free. Each new size has its last byte written, as a growing buffer would append there; the realloc copies
    /// the contents (what a caller's data would need).
    /// </summary>
    public static void ReallocGrowth<T>(ref T allocator, nuint from, nuint to) where T : struct, IAllocator
    {
        byte* p = (byte*)allocator.Alloc(from);
        if (p == null) ThrowNull(allocator.Name, from);
        p[from - 1] = 1;
        for (nuint size = from * 2; size <= to; size *= 2)
        {
            p = (byte*)allocator.Realloc(p, size);
            if (p == null) ThrowNull(allocator.Name, size);
            p[size - 1] = 1;
        }
        allocator.Free(p);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowNull(string name, nuint size) => throw new OutOfMemoryException($"{name} returned NULL for {size} bytes.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowMisaligned(string name, void* p, nuint alignment) =>
        throw new InvalidOperationException($"{name} returned 0x{(nuint)p:x}, not aligned to {alignment}.");
}

/// <summary>
/// The random-size mix: <see cref="Live"/> live blocks of 16–1024 B; each step frees a random slot's block and puts a
/// new block of a random size there. Sizes and slots come from a fixed seed and are precomputed (outside the timed
/// region) into <see cref="Steps"/> entries that the steps walk round, so every contender sees the same sequence and the
/// measured cost is one Free + one Alloc plus two array reads.
/// </summary>
internal sealed unsafe class RandomMix : IDisposable
{
    public const int Live = 1000;
    public const int MinSize = 16, MaxSize = 1024;
    public const int Seed = 20261125;
    private const int Steps = 1 << 16; // 64 K steps before the sequence repeats: longer than any cache of a pattern

    private readonly void** _slots;
    private readonly uint* _sizes;
    private readonly ushort* _slotOfStep;
    private int _cursor;

    public RandomMix()
    {
        _slots = (void**)System.Runtime.InteropServices.NativeMemory.AllocZeroed(Live, (nuint)sizeof(void*));
        _sizes = (uint*)System.Runtime.InteropServices.NativeMemory.Alloc(Steps + Live, sizeof(uint));
        _slotOfStep = (ushort*)System.Runtime.InteropServices.NativeMemory.Alloc(Steps, sizeof(ushort));
        var random = new Random(Seed); // seeded System.Random: the same sequence on every run and .NET version
        for (int i = 0; i < Steps + Live; i++) _sizes[i] = (uint)random.Next(MinSize, MaxSize + 1);
        for (int i = 0; i < Steps; i++) _slotOfStep[i] = (ushort)random.Next(Live);
    }

    /// <summary>Allocates the <see cref="Live"/> starting blocks (not timed: done at setup).</summary>
    public void Fill<T>(ref T allocator) where T : struct, IAllocator
    {
        for (int i = 0; i < Live; i++)
        {
            nuint size = _sizes[Steps + i];
            void* p = allocator.Alloc(size);
            if (p == null) Loops.ThrowNull(allocator.Name, size);
            _slots[i] = p;
        }
        _cursor = 0;
    }

    /// <summary><paramref name="count"/> steps: free a random slot's block, allocate a random size into it.</summary>
    public void Run<T>(ref T allocator, int count) where T : struct, IAllocator
    {
        void** slots = _slots;
        int cursor = _cursor;
        for (int i = 0; i < count; i++)
        {
            int step = cursor++ & (Steps - 1);
            void** slot = slots + _slotOfStep[step];
            allocator.Free(*slot);
            nuint size = _sizes[step];
            void* p = allocator.Alloc(size);
            if (p == null) Loops.ThrowNull(allocator.Name, size);
            *slot = p;
        }
        _cursor = cursor;
    }

    /// <summary>Frees the live blocks (with the contender that made them).</summary>
    public void Drain<T>(ref T allocator) where T : struct, IAllocator
    {
        for (int i = 0; i < Live; i++)
        {
            allocator.Free(_slots[i]);
            _slots[i] = null;
        }
    }

    public void Dispose()
    {
        System.Runtime.InteropServices.NativeMemory.Free(_slots);
        System.Runtime.InteropServices.NativeMemory.Free(_sizes);
        System.Runtime.InteropServices.NativeMemory.Free(_slotOfStep);
    }
}
