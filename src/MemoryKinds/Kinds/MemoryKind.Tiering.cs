using System.Runtime.CompilerServices;
using MemoryKinds.Engine;

namespace MemoryKinds;

public abstract unsafe partial class MemoryKind
{
    /// <summary>
    /// Moves a block of this kind to <paramref name="target"/>: its usable bytes are copied into a new block of
    /// <paramref name="target"/> of at least that usable size, and the block here is freed. Used to demote cold data to a
    /// slower tier or promote hot data to a faster one.
    /// </summary>
    /// <param name="ptr">A live block of this kind.</param>
    /// <param name="target">The kind to move the block to; this kind itself returns <paramref name="ptr"/> unchanged.</param>
    /// <returns>The new block (16-byte aligned, as <see cref="Alloc"/> gives), or null when <paramref name="target"/> cannot take it: then <paramref name="ptr"/> is untouched and still valid.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="target"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="ptr"/> is null or not a live block of this kind; nothing is changed.</exception>
    /// <exception cref="ObjectDisposedException">This kind or <paramref name="target"/> is disposed.</exception>
    public void* MoveTo(void* ptr, MemoryKind target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (ptr == null) throw new ArgumentException("A null pointer is not a block that can be moved.", nameof(ptr));
        // GetUsableSize is the kind's own ownership check: it throws for a foreign, interior or freed pointer.
        nuint usable = GetUsableSize(ptr);
        if (ReferenceEquals(target, this)) return ptr;
        void* moved = target.TryAlloc(usable);
        if (moved == null) return null;
        Buffer.MemoryCopy(ptr, moved, usable, usable);
        Free(ptr);
        return moved;
    }

    /// <summary>The first region of this kind's heap (tiered memory's quick owner test; <see cref="Detect"/> answers for the rest).</summary>
    internal (nuint Base, nuint Size) FirstRegion => _heap.FirstRegion;

    /// <summary>
    /// Allocates like <see cref="TryAlloc"/> with the calling thread's engine <paramref name="table"/> already looked up
    /// (tiered memory), and gives the block's usable size when the engine's fast path knew it without a lookup (else 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void* TryAllocWithTable(HeapTable* table, nuint size, out nuint usable)
    {
        KindHeap? heap = _plainHeap;
        if (heap is not null) return CountFailure(heap.Alloc(table, size, out usable));
        usable = 0;
        return CountFailure(HardenedAlloc(size, 16));
    }

    /// <summary>
    /// Frees a block like <see cref="Free"/> with the calling thread's engine <paramref name="table"/> already looked up,
    /// and returns the usable size it had (0 for null), without a second lookup.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal nuint FreeReturningUsableSize(HeapTable* table, void* ptr)
    {
        KindHeap? heap = _plainHeap;
        if (heap is not null) return heap.Free(table, ptr);
        return FreeHardenedReturningUsableSize(ptr);
    }

    private nuint FreeHardenedReturningUsableSize(void* ptr)
    {
        if (ptr == null) return 0;
        nuint usable = _hardened!.UsableSize(ptr);
        _hardened.Free(ptr);
        return usable;
    }
}
