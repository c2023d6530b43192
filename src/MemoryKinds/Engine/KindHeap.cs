using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MemoryKinds.Engine;

/// <summary>
/// The engine side of one kind: its regions, its thread heaps, its free spans. This file holds the state and the fast
/// paths; the partial files hold small-block slow paths, large blocks, spans, and lifetime (attach, reclaim, dispose).
/// </summary>
internal sealed unsafe partial class KindHeap
{
    /// <summary>Stands in for "no page" in <see cref="ThreadHeap.Direct"/>: its free list is always empty.</summary>
    internal static readonly Page* EmptyPage = (Page*)NativeMemory.AllocZeroed((nuint)sizeof(Page));

    public readonly int Slot;
    public readonly long Uid;
    public readonly string Name;
    public readonly MemorySource Source;
    public readonly bool Conservative;
    /// <summary>The public kind object; set by the kinds layer.</summary>
    public object? Owner;

    // Region 0 copied into readonly fields, so the free fast path needs no map lookup.
    private readonly byte* _base0;
    private readonly nuint _size0;
    /// <summary>Region 0's size in 16-byte granules.</summary>
    private readonly nuint _granules0;
    private readonly Page* _pages0;
    private readonly ulong* _bits0;

    private readonly Lock _lock = new();
    private readonly long _limit;
    private Region?[] _regions = new Region?[4];
    private int _regionCount;
    private volatile bool _disposed;

    private KindHeap(string name, int slot, long uid, MemorySource source, bool conservative, Region first)
    {
        Name = name;
        Slot = slot;
        Uid = uid;
        Source = source;
        Conservative = conservative;
        _limit = source.Limit;
        _regions[0] = first;
        _regionCount = 1;
        _base0 = first.Base;
        _size0 = first.Size;
        _granules0 = first.Size >> 4;
        _pages0 = first.Pages;
        _bits0 = first.Bits;
        InitializeSpans(first);
        if (conservative) _shared = NewHeap();
    }

    public bool IsDisposed => _disposed;

    /// <summary>Creates the engine for a kind over <paramref name="source"/>, which it owns from then on; on failure the caller still owns it.</summary>
    /// <exception cref="ArgumentException">A live kind has the same name.</exception>
    /// <exception cref="OutOfMemoryException">No address space for the first region.</exception>
    public static KindHeap Create(string name, MemorySource source, bool conservative)
    {
        (int slot, long uid) = KindRegistry.Reserve(name);
        Region? first = null;
        try
        {
            first = Region.TryCreate(source, FirstRegionSize(source), 0)
                ?? (FirstRegionSize(source) != ExactRegionSize(source) ? Region.TryCreate(source, ExactRegionSize(source), 0) : null)
                ?? throw new OutOfMemoryException($"No address space left for kind '{name}'.");
            var heap = new KindHeap(name, slot, uid, source, conservative, first);
            AddressMap.Register(first.Base, first.Size, AddressMap.Encode(slot, 0));
            KindRegistry.Publish(slot, heap);
            Purger.EnsureStarted();
            return heap;
        }
        catch
        {
            first?.Release(source);
            KindRegistry.Remove(slot, name, published: false);
            throw;
        }
    }

    // ---------------------------------------------------------------- fast paths

    /// <summary>Allocates <paramref name="size"/> bytes (0 gives a unique 16-byte block); null when the kind is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Alloc(nuint size) => Alloc(ThreadHeaps.CurrentTable(), size, out _);

    /// <summary>
    /// Allocates like <see cref="Alloc(nuint)"/> with the calling thread's <paramref name="table"/> already looked up, and
    /// gives the block's usable size when the fast path served it (read from the page it popped from; 0 from the slow
    /// path): tiered memory counts the block without computing its size class a second time, whose branch mispredicted on
    /// random sizes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Alloc(HeapTable* table, nuint size, out nuint usable)
    {
        nuint s = size - 1;
        if (s < SizeClasses.SmallMax)
        {
            ThreadHeap* heap = ThreadHeaps.Find(table, Slot, Uid);
            if (heap != null)
            {
                heap->Busy = 1;
                if (heap->Blocked == 0)
                {
                    Page* page = (Page*)heap->Direct[SizeClasses.BinOfSizeMinusOne(s)];
                    Block* block = page->Free;
                    if (block != null)
                    {
                        PopBlock(heap, page, block);
                        Volatile.Write(ref heap->Busy, 0);
                        usable = page->BlockSize;
                        return block;
                    }
                }
                Volatile.Write(ref heap->Busy, 0);
            }
        }
        usable = 0;
        return AllocSlow(size, 0);
    }

    /// <summary>Frees a block of this kind.</summary>
    /// <returns>The usable size the block had (0 for null): tiered memory counts it without a second lookup.</returns>
    /// <exception cref="ArgumentException">The pointer is not a live block of this kind (foreign, interior, or already freed).</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public nuint Free(void* p) => Free(ThreadHeaps.CurrentTable(), p);

    /// <summary>Frees like <see cref="Free(void*)"/> with the calling thread's <paramref name="table"/> already looked up.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public nuint Free(HeapTable* table, void* p)
    {
        nuint offset = (nuint)p - (nuint)_base0;
        // One compare for range and alignment: rotated right by 4, an offset with a low bit set is above any region's
        // granule count (regions start 16-aligned).
        if (BitOperations.RotateRight(offset, 4) < _granules0)
        {
            ThreadHeap* heap = ThreadHeaps.Find(table, Slot, Uid);
            if (heap != null)
            {
                heap->Busy = 1;
                if (heap->Blocked == 0)
                {
                    ulong* word = BlockBits.AllocatedWord(_bits0, offset);
                    ulong mask = BlockBits.Mask(offset);
                    // Pending first, then allocated: a collector clears allocated before pending, so in this order a block
                    // it is collecting never reads "allocated and not pending" (the other order let a second free pass).
                    ulong pending = Volatile.Read(ref word[1]);
                    ulong allocated = word[0];
                    // Allocated and not already pending a remote free: only then is _pages0 known to describe a live page.
                    if ((allocated & ~pending & mask) != 0)
                    {
                        Page* page = _pages0[offset >> SizeClasses.SliceShift].Head;
                        if (page->Owner == heap)
                        {
                            nuint usable = page->BlockSize;
                            // A plain store of the value already loaded: only this thread changes allocated bits of its pages.
                            word[0] = allocated & ~mask;
                            Block* block = (Block*)p;
                            block->Next = page->Free;
                            page->Free = block;
                            heap->Frees++;
                            if (--page->Used == 0 || page->IsFull != 0)
                            {
                                // An empty page that is its bin's current page stays cached without the lock (an
                                // alloc/free pair must not lock); the purger takes it back later.
                                if (page->IsFull != 0 || (Page*)heap->Direct[page->Bin] != page)
                                {
                                    Volatile.Write(ref heap->Busy, 0);
                                    AfterLocalFree(heap, page);
                                    return usable;
                                }
                                if (!_reclaimHint) _reclaimHint = true;
                            }
                            Volatile.Write(ref heap->Busy, 0);
                            return usable;
                        }
                        return FreeNotOwned(heap, page, p);
                    }
                }
                Volatile.Write(ref heap->Busy, 0);
            }
        }
        return FreeSlow(p);
    }

    /// <summary>
    /// The free fast path's exit for a live block of a page another heap owns, or of a large span: with the heap entered
    /// and the page found, a remote free needs no second lookup. Clears Busy.
    /// </summary>
    /// <remarks>
    /// Fully optimized from its first call, with the other methods of remote frees, collects and carving: a producer and
    /// consumer call them in bursts from the start, and under tiered compilation they ran unoptimized or instrumented
    /// for 16% of a profile of xmalloc 2P+2C's first 1.5 s.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private nuint FreeNotOwned(ThreadHeap* heap, Page* page, void* p)
    {
        if (page->State != SliceState.Small)
        {
            Volatile.Write(ref heap->Busy, 0);
            return FreeSlow(p);
        }
        // Read before the block is handed over: once it is, the owner may empty and release the page.
        nuint usable = page->BlockSize;
        bool freed = FreeRemote(heap, page, (Block*)p);
        Volatile.Write(ref heap->Busy, 0);
        return freed ? usable : throw NotLive(p);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PopBlock(ThreadHeap* heap, Page* page, Block* block)
    {
        page->Free = block->Next;
        page->Used++;
        heap->Allocations++;
        nuint offset = (nuint)block - (nuint)page->Start;
        *BlockBits.AllocatedWord(page->Bits, offset) |= BlockBits.Mask(offset);
    }

    // ---------------------------------------------------------------- lookups

    /// <summary>This kind's first region, the one most kinds never grow beyond: it never moves while the kind lives.</summary>
    public (nuint Base, nuint Size) FirstRegion => ((nuint)_base0, _size0);

    /// <summary>The region of this kind that contains <paramref name="p"/>, or null.</summary>
    internal Region? RegionOf(void* p)
    {
        if ((nuint)p - (nuint)_base0 < _size0) return _regions[0];
        (int slot, int index) = AddressMap.Decode(AddressMap.Lookup(p));
        if (slot != Slot) return null;
        Region? region = RegionAt(index);
        return region is not null && region.Contains(p) ? region : null;
    }

    private Region? RegionAt(int index)
    {
        Region?[] regions = Volatile.Read(ref _regions);
        return (uint)index < (uint)regions.Length ? Volatile.Read(ref regions[index]) : null;
    }

    /// <summary>The live kind whose address space holds <paramref name="p"/>, or null. No lock, no syscall.</summary>
    public static KindHeap? OwnerOf(void* p)
    {
        int code = AddressMap.Lookup(p);
        if (code == 0) return null;
        (int slot, int index) = AddressMap.Decode(code);
        KindHeap? heap = KindRegistry.At(slot);
        if (heap is null || heap._disposed) return null;
        Region? region = heap.RegionAt(index);
        return region is not null && region.Contains(p) ? heap : null;
    }

    /// <summary>The exception for a pointer this kind does not own, naming the kind that does, if any.</summary>
    internal Exception ForeignPointer(void* p, string parameterName)
    {
        KindHeap? other = OwnerOf(p);
        string message = other is null
            ? $"The pointer 0x{(nuint)p:x} was not allocated by any memory kind."
            : $"The pointer 0x{(nuint)p:x} belongs to kind '{other.Name}', not to kind '{Name}'.";
        return new ArgumentException(message, parameterName);
    }

    private void ThrowIfDisposed()
    {
        if (_disposed) throw new ObjectDisposedException(Name, $"The memory kind '{Name}' has been disposed.");
    }
}
