using System.Runtime.InteropServices;

namespace MemoryKinds.Engine;

// Heaps joining and leaving a kind, taking cached space back from other threads, statistics, and destroying the kind.
internal sealed unsafe partial class KindHeap
{
    private const long ReclaimIntervalMs = 2000;

    /// <summary>Every heap serving this kind (orphans included), linked through NextInKind.</summary>
    private ThreadHeap* _heaps;
    /// <summary>The conservative policy's single heap, used by every thread under the lock.</summary>
    private ThreadHeap* _shared;
    /// <summary>Calls that touch blocks outside the lock and outside a fast path (copies, zeroing): Dispose waits for them.</summary>
    private int _touchingBlocks;
    private int _disposing;
    private long _nextReclaim;

    private ThreadHeap* NewHeap()
    {
        var heap = (ThreadHeap*)NativeMemory.AllocZeroed((nuint)sizeof(ThreadHeap));
        ResetHeap(heap);
        return heap;
    }

    private void ResetHeap(ThreadHeap* heap)
    {
        for (int bin = 0; bin < SizeClasses.BinCount; bin++)
        {
            heap->Direct[bin] = (long)EmptyPage;
            heap->Full[bin] = 0;
        }
        heap->KindUid = Uid;
    }

    internal static void FreeHeap(ThreadHeap* heap) => NativeMemory.Free(heap);

    /// <summary>Gives the calling thread a heap in this kind, stored in its <paramref name="table"/>'s entry for the kind's slot.</summary>
    internal ThreadHeap* AttachHeap(HeapTable* table)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            ref ThreadHeap* entry = ref *table->Entry(Slot);
            // A heap left in this slot by a disposed kind is detached and only this thread can reach it.
            if (entry != null) FreeHeap(entry);
            ThreadHeap* heap = AdoptOrphan();
            if (heap == null) heap = AdoptFromDeadThread();
            if (heap == null)
            {
                heap = NewHeap();
                heap->NextInKind = _heaps;
                if (_heaps != null) _heaps->PrevInKind = heap;
                _heaps = heap;
            }
            heap->Table = table;
            entry = heap;
            return heap;
        }
    }

    private ThreadHeap* AdoptOrphan()
    {
        for (ThreadHeap* heap = _heaps; heap != null; heap = heap->NextInKind)
        {
            if (heap->Orphaned == 0) continue;
            heap->Orphaned = 0;
            Volatile.Write(ref heap->Busy, 0);
            Volatile.Write(ref heap->Blocked, 0);
            return heap;
        }
        return null;
    }

    /// <summary>
    /// The heap of a thread that has exited but whose sentinel the GC has not finalized yet (a program whose threads
    /// allocate only off-heap may go long without a GC), so a new thread takes over its pages at once instead of
    /// starting empty. The heap is claimed by swapping it out of the dead table's entry, which OnThreadExit swaps too:
    /// whichever swaps first owns it. Inline slots only: OnThreadExit frees a table's overflow array.
    /// </summary>
    /// <remarks>
    /// The dead thread's last writes to the heap are visible here: they precede its exit, whose runtime and C library
    /// teardown (locks, the join's futex wake) orders them before the hook's store that <see cref="HeapTable.HasExited"/>
    /// reads with acquire semantics.
    /// </remarks>
    private ThreadHeap* AdoptFromDeadThread()
    {
        if (Slot >= HeapTable.InlineSlots) return null;
        for (ThreadHeap* heap = _heaps; heap != null; heap = heap->NextInKind)
        {
            HeapTable* table = heap->Table;
            if (heap->Orphaned != 0 || table == null || !table->HasExited) continue;
            if (Interlocked.CompareExchange(ref *(nint*)table->Entry(Slot), 0, (nint)heap) != (nint)heap) continue;
            Volatile.Write(ref heap->Busy, 0);
            Volatile.Write(ref heap->Blocked, 0);
            return heap;
        }
        return null;
    }

    /// <summary>Keeps a dead thread's heap (pages, blocks, counters) for the next thread. False if the heap is no longer this kind's.</summary>
    internal bool OrphanHeap(ThreadHeap* heap)
    {
        lock (_lock)
        {
            if (_disposed || heap->KindUid != Uid) return false;
            Volatile.Write(ref heap->Busy, 0);
            heap->Table = null;
            heap->Orphaned = 1;
            _reclaimHint = true;
            return true;
        }
    }

    /// <summary>The calling thread's heap, entered (Busy set, not blocked). </summary>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    private ThreadHeap* EnterHeap()
    {
        ThreadHeap* heap = ThreadHeaps.GetOrAttach(this);
        while (true)
        {
            heap->Busy = 1;
            if (heap->Blocked == 0 && heap->KindUid == Uid) return heap;
            Volatile.Write(ref heap->Busy, 0);
            ThrowIfDisposed();
            Thread.Yield();
        }
    }

    /// <summary>
    /// Takes back what other threads hold cached: collects every page's remote frees and returns every empty page to the
    /// free spans. Other live threads' heaps are blocked for the duration. Under the lock.
    /// </summary>
    private void ReclaimLocked(ThreadHeap* self)
    {
        bool others = BlockHeaps(self);
        for (ThreadHeap* heap = _heaps; heap != null; heap = heap->NextInKind) ReclaimHeap(heap);
        if (_shared != null) ReclaimHeap(_shared);
        if (others) UnblockHeaps();
    }

    /// <summary>Blocks every live heap but <paramref name="self"/> and waits until none is inside a fast path.</summary>
    private bool BlockHeaps(ThreadHeap* self)
    {
        bool any = false;
        for (ThreadHeap* heap = _heaps; heap != null; heap = heap->NextInKind)
        {
            if (heap == self || heap->Orphaned != 0) continue;
            heap->Blocked = 1;
            any = true;
        }
        if (!any) return false;
        // Pairs with the owner's plain "Busy = 1; read Blocked": after this barrier either the owner sees Blocked,
        // or we see its Busy and wait for it to leave the fast path.
        Interlocked.MemoryBarrierProcessWide();
        for (ThreadHeap* heap = _heaps; heap != null; heap = heap->NextInKind)
        {
            var spinner = new SpinWait();
            while (heap->Blocked != 0 && Volatile.Read(ref heap->Busy) != 0) spinner.SpinOnce();
        }
        return true;
    }

    private void UnblockHeaps()
    {
        for (ThreadHeap* heap = _heaps; heap != null; heap = heap->NextInKind) Volatile.Write(ref heap->Blocked, 0);
    }

    private void ReclaimHeap(ThreadHeap* heap)
    {
        for (int bin = 0; bin < SizeClasses.BinCount; bin++)
        {
            RescanFull(heap, bin);
            for (Page* page = (Page*)heap->Direct[bin]; page != EmptyPage && page != null;)
            {
                Page* next = page->Next;
                Collect(page);
                if (page->Used == 0) ReleaseSmallPage(heap, page);
                page = next;
            }
        }
    }

    /// <summary>
    /// Marks the start of a call that reads or writes block memory between engine calls (realloc's copy, calloc's zeroing,
    /// hardened mode's fills): Dispose does not unmap until it ends. Pair with <see cref="EndTouchingBlocks"/>.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public void BeginTouchingBlocks()
    {
        Interlocked.Increment(ref _touchingBlocks);
        if (!_disposed) return;
        Interlocked.Decrement(ref _touchingBlocks);
        ThrowIfDisposed();
    }

    public void EndTouchingBlocks() => Interlocked.Decrement(ref _touchingBlocks);

    /// <summary>Periodic work from the purger: reclaim cached pages now and then, and give back storage of long-free spans.</summary>
    internal void Tick(long now)
    {
        bool reclaimDue = _reclaimHint && now >= Volatile.Read(ref _nextReclaim);
        long nextPurge = Volatile.Read(ref _nextPurge);
        if (!reclaimDue && (nextPurge == 0 || now < nextPurge)) return;
        if (!_lock.TryEnter()) return;
        try
        {
            if (_disposed) return;
            if (reclaimDue && !Conservative)
            {
                _reclaimHint = false;
                _nextReclaim = now + ReclaimIntervalMs;
                ReclaimLocked(null);
            }
            PurgeExpiredLocked(now);
        }
        finally
        {
            _lock.Exit();
        }
    }

    /// <summary>Allocated (usable bytes of live blocks), active (bytes of pages in use) and resident (committed) bytes.</summary>
    /// <remarks>
    /// Allocated is summed from the pages (blocks in use minus blocks waiting on remote-free stacks) rather than kept in
    /// counters, so the fast paths pay nothing for it. Exact whenever no other thread is allocating or freeing meanwhile.
    /// </remarks>
    public (long Allocated, long Active, long Resident) GetStats()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            long allocated = _largeAllocatedBytes;
            for (ThreadHeap* heap = _heaps; heap != null; heap = heap->NextInKind) allocated += AllocatedIn(heap);
            if (_shared != null) allocated += AllocatedIn(_shared);
            return (Math.Clamp(allocated, 0, _activeBytes), _activeBytes, _committedBytes);
        }
    }

    private static long AllocatedIn(ThreadHeap* heap)
    {
        long total = 0;
        for (int bin = 0; bin < SizeClasses.BinCount; bin++)
        {
            for (Page* page = (Page*)heap->Direct[bin]; page != EmptyPage && page != null; page = page->Next) total += AllocatedIn(page);
            for (Page* page = (Page*)heap->Full[bin]; page != null; page = page->Next) total += AllocatedIn(page);
        }
        return total;
    }

    /// <summary>
    /// Live bytes of a page: used blocks less those pending a remote free. A racy read (the owner may collect meanwhile);
    /// the pending bits are set only at block starts, so counting them counts blocks.
    /// </summary>
    private static long AllocatedIn(Page* page)
    {
        int pending = 0;
        // A page whose flag is down has no pending bits (but for a freer between its OR and raising the flag).
        int words = Volatile.Read(ref page->HasPending) == 0 ? 0 : (int)(((nuint)Volatile.Read(ref page->Capacity) * page->BlockSize + 1023) >> 10);
        for (int w = 0; w < words; w++) pending += System.Numerics.BitOperations.PopCount(Volatile.Read(ref page->Bits[2 * w + 1]));
        return (long)(Volatile.Read(ref page->Used) - pending) * (long)page->BlockSize;
    }

    /// <summary>Destroys the kind: waits for operations in flight, then releases every block, region and the source. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposing, 1) != 0) return;
        _disposed = true;
        // Pairs with BeginTouchingBlocks (increment, then read _disposed): either that call sees the flag and backs out,
        // or we see its count here and wait for it to finish copying or zeroing before anything is unmapped.
        Interlocked.MemoryBarrier();
        for (var spinner = new SpinWait(); Volatile.Read(ref _touchingBlocks) != 0;) spinner.SpinOnce();
        lock (_lock)
        {
            BlockHeaps(ThreadHeaps.Find(Slot, Uid));
            for (ThreadHeap* heap = _heaps, next; heap != null; heap = next)
            {
                next = heap->NextInKind;
                if (heap->Orphaned != 0)
                {
                    FreeHeap(heap);
                    continue;
                }
                // The owner thread keeps the heap struct (its table points at it) until the slot is reused or it exits.
                Volatile.Write(ref heap->Blocked, 1);
                ResetHeap(heap);
                heap->KindUid = 0;
                heap->NextInKind = heap->PrevInKind = null;
            }
            _heaps = null;
            if (_shared != null) FreeHeap(_shared);
            _shared = null;
            for (int i = 0; i < _regionCount; i++)
            {
                Region region = _regions[i]!;
                AddressMap.Unregister(region.Base, region.Size);
                region.Release(Source);
            }
        }
        // Free the name before the descriptor: a pmem kind's name comes from its descriptor number, which the OS may hand
        // to the next kind as soon as it is closed.
        KindRegistry.Remove(Slot, Name, published: true);
        Source.Dispose();
    }
}
