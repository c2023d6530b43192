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
    public static void Batch<T>(ref T allocator, nuint size, void** slots, int count) where T : struct, IAllocator
    {
        for (int i = 0; i < count; i++)
        {
            void* p = allocator.Alloc(size);
            if (p == null) ThrowNull(allocator.Name, size);
            slots[i] = p;
        }
        for (int i = count - 1; i >= 0; i--) allocator.Free(slots[i]);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNull(string name, nuint size) => throw new OutOfMemoryException($"{name} returned NULL for {size} bytes.");
}
