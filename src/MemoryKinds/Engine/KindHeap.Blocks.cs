namespace MemoryKinds.Engine;

// Operations on one existing block: usable size, reallocation, defragmentation.
internal sealed unsafe partial class KindHeap
{
    /// <summary>The usable size of a live block of this kind.</summary>
    /// <exception cref="ArgumentException">Not a live block of this kind.</exception>
    public nuint UsableSize(void* p)
    {
        ThrowIfDisposed();
        Region region = RegionOf(p) ?? throw ForeignPointer(p, "ptr");
        if (Conservative)
        {
            lock (_lock)
            {
                ThrowIfDisposed();
                return RequireLive(region, p)->BlockSize;
            }
        }
        ThreadHeap* heap = EnterHeap();
        Page* page = LivePage(region, p);
        nuint size = page == null ? 0 : page->BlockSize;
        Volatile.Write(ref heap->Busy, 0);
        return page == null ? throw NotLive(p) : size;
    }

    /// <summary>Resizes a live block: in place when the new size still fits its class well, else moved. Null (block untouched) when the kind is full.</summary>
    public void* Realloc(void* p, nuint size)
    {
        BeginTouchingBlocks();
        try
        {
            nuint usable = UsableSize(p);
            nuint needed = Math.Max(size, 1);
            // Keep a small block when it is big enough and not more than twice too big; resize a large one in place if it can.
            if (usable <= SizeClasses.SmallMax ? needed <= usable && needed > usable / 2 : needed > SizeClasses.SmallMax && TryResizeLargeInPlace(p, needed)) return p;
            void* moved = Alloc(size);
            if (moved == null) return null;
            Buffer.MemoryCopy(p, moved, size, Math.Min(usable, size));
            Free(p);
            return moved;
        }
        finally
        {
            EndTouchingBlocks();
        }
    }

    /// <summary>
    /// memkind_defrag_reallocate: moves a small block out of a sparsely used page that is not being filled, so that page
    /// can empty. Returns the new pointer, or null when the block is better left where it is.
    /// </summary>
    public void* DefragRealloc(void* p)
    {
        BeginTouchingBlocks();
        try
        {
            nuint size = UsableSize(p);
            if (!WorthMoving(p)) return null;
            void* moved = Alloc(size);
            if (moved == null) return null;
            if (SamePage(p, moved))
            {
                Free(moved);
                return null;
            }
            Buffer.MemoryCopy(p, moved, size, size);
            Free(p);
            return moved;
        }
        finally
        {
            EndTouchingBlocks();
        }
    }

    /// <summary>
    /// memkind's heuristic: worth moving when the block's page is not its bin's current page, has free blocks, and is no
    /// fuller than the average of the owning heap's other pages of that bin. Under the lock, so the page lists hold still (the
    /// counts themselves are racy reads: the answer is a heuristic).
    /// </summary>
    private bool WorthMoving(void* p)
    {
        Region region = RegionOf(p)!;
        lock (_lock)
        {
            ThrowIfDisposed();
            Page* page = LivePage(region, p);
            if (page == null || page->State != SliceState.Small || page->IsFull != 0) return false;
            ThreadHeap* owner = page->Owner;
            if ((Page*)owner->Direct[page->Bin] == page) return false;
            (long used, long pages) = BinUsage(owner, page->Bin);
            return (long)Volatile.Read(ref page->Used) * pages <= used;
        }
    }

    /// <summary>How many blocks calls in a row may judge by one count of a bin's pages before it is counted again.</summary>
    private const int BinUsageReuse = 1024;
    private nint _binUsageHeap;
    private int _binUsageBin, _binUsageUses;
    private long _binUsageUsed, _binUsagePages;

    /// <summary>
    /// Blocks used and pages in the heap's pages of a bin other than the current one. Walking the lists costs O(pages),
    /// and a program defragments block after block (memkind's own test: 20 million), so one count serves the next
    /// <see cref="BinUsageReuse"/> calls on the same heap and bin; the heuristic does not need it exact. Under the lock.
    /// </summary>
    private (long Used, long Pages) BinUsage(ThreadHeap* owner, int bin)
    {
        if (_binUsageHeap == (nint)owner && _binUsageBin == bin && ++_binUsageUses < BinUsageReuse) return (_binUsageUsed, _binUsagePages);
        // The current page (the list head) is being filled, so it does not count towards the average.
        long used = 0, pages = 0;
        for (Page* other = ((Page*)owner->Direct[bin])->Next; other != null; other = other->Next, pages++) used += Volatile.Read(ref other->Used);
        for (Page* other = (Page*)owner->Full[bin]; other != null; other = other->Next, pages++) used += Volatile.Read(ref other->Used);
        (_binUsageHeap, _binUsageBin, _binUsageUses, _binUsageUsed, _binUsagePages) = ((nint)owner, bin, 0, used, pages);
        return (used, pages);
    }

    private bool SamePage(void* a, void* b)
    {
        Region? region = RegionOf(a);
        if (region is null || !region.Contains(b)) return false;
        nuint sliceA = ((nuint)a - (nuint)region.Base) >> SizeClasses.SliceShift, sliceB = ((nuint)b - (nuint)region.Base) >> SizeClasses.SliceShift;
        return sliceA == sliceB || region.Pages[sliceA].Head == region.Pages[sliceB].Head;
    }
}
