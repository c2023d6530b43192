using System.Runtime.CompilerServices;

namespace MemoryKinds.Engine;

// Small blocks (up to 512 KiB): the slow paths behind the inlined Alloc/Free. Everything here that touches a heap's
// lists runs under the kind's lock (see the invariants in Types.cs).
internal sealed unsafe partial class KindHeap
{
    /// <summary>Set when a page emptied but stayed cached, or a remote free happened: the purger then reclaims.</summary>
    private volatile bool _reclaimHint;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void* AllocSlow(nuint size, nuint alignment)
    {
        ThrowIfDisposed();
        int bin = BinFor(size, alignment);
        if (bin < 0) return AllocLarge(size, alignment, zeroed: false);
        if (Conservative)
        {
            lock (_lock)
            {
                ThrowIfDisposed();
                return AllocFromBin(_shared, bin);
            }
        }
        ThreadHeap* heap = EnterHeap();
        Block* collected = TakeCollected(heap, bin);
        Volatile.Write(ref heap->Busy, 0);
        if (collected != null) return collected;
        lock (_lock)
        {
            ThrowIfDisposed();
            return AllocFromBin(heap, bin);
        }
    }

    /// <summary>
    /// Pops a block other threads freed into the bin's current page, without the lock (the heap entered): a producer whose
    /// blocks a consumer frees refills from them, as mimalloc's does, instead of locking the kind each time its page's free
    /// list runs dry. Here rather than in the inlined fast path, whose callers then keep fewer values across a call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see FreeNotOwned
    private static Block* TakeCollected(ThreadHeap* heap, int bin)
    {
        Page* page = (Page*)heap->Direct[bin];
        if (page->Free == null) Collect(page);
        Block* block = page->Free;
        if (block != null) PopBlock(heap, page, block);
        return block;
    }

    /// <summary>Allocates with an alignment of at least 16 (a power of two); null when the kind cannot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* AlignedAlloc(nuint size, nuint alignment)
    {
        if (alignment <= 16) return Alloc(size);
        // Every block of a bin whose block size is a multiple of the alignment is aligned (pages start on 64 KiB
        // boundaries), so such a request is an ordinary one of that block size and takes the lock-free fast path.
        int bin = BinFor(size, alignment);
        return bin >= 0 ? Alloc(SizeClasses.BlockSize(bin)) : AllocSlow(size, alignment);
    }

    /// <summary>The bin serving <paramref name="size"/> at <paramref name="alignment"/>, or -1 for a large span.</summary>
    private static int BinFor(nuint size, nuint alignment)
    {
        if (alignment > SizeClasses.SliceSize || size > SizeClasses.SmallMax) return -1;
        if (alignment > 16) size = (Math.Max(size, alignment) + alignment - 1) & ~(alignment - 1);
        if (size > SizeClasses.SmallMax) return -1;
        int bin = size == 0 ? 0 : SizeClasses.BinOfSizeMinusOne(size - 1);
        // Pages start on 64 KiB boundaries, so a block size that is a multiple of the alignment aligns every block.
        while (alignment > 16 && bin < SizeClasses.BinCount && (SizeClasses.BlockSize(bin) & (alignment - 1)) != 0) bin++;
        return bin < SizeClasses.BinCount ? bin : -1;
    }

    /// <summary>Pops a block of <paramref name="bin"/> for <paramref name="heap"/>, finding or making a page as needed. Under the lock.</summary>
    private Block* AllocFromBin(ThreadHeap* heap, int bin)
    {
        bool reclaimed = false;
        while (true)
        {
            Page* page = (Page*)heap->Direct[bin];
            if (page != EmptyPage)
            {
                if (page->Free == null) Collect(page);
                if (page->Free == null) Extend(page);
                Block* block = page->Free;
                if (block != null)
                {
                    PopBlock(heap, page, block);
                    return block;
                }
                if (page->Capacity == page->MaxBlocks)
                {
                    MoveToFull(heap, page);
                    continue;
                }
                // Not full, but no storage for its next blocks. A page behind it may have free blocks (freed locally into
                // a full page, or collected by a reclaim): use that one first.
                Page* other = page->Next;
                while (other != null && other->Free == null && Volatile.Read(ref other->HasPending) == 0) other = other->Next;
                if (other != null)
                {
                    UnlinkPage(heap, bin, other);
                    PushPage(heap, bin, other);
                    continue;
                }
                // Otherwise take back what other pages hold, and carve again.
                if (reclaimed) return null;
                ReclaimForRoom(heap);
                reclaimed = true;
                continue;
            }
            if (TakeFullHint(heap, bin) && RescanFull(heap, bin)) continue;
            page = NewSmallPage(heap, bin);
            if (page != null)
            {
                PushPage(heap, bin, page);
                continue;
            }
            if (reclaimed) return null;
            ReclaimForRoom(heap);
            reclaimed = true;
        }
    }

    /// <summary>Takes the blocks other threads freed into <paramref name="page"/>. Owner or lock holder only.</summary>
    /// <remarks>
    /// The flag is cleared before the scan, so a freer that sets its bit after the scan read that word also raises the
    /// flag again. Only the carved part of the page has bits: word by word for small blocks, block by block from 1 KiB
    /// up (where a word holds at most one block start, and a page of 64 KiB blocks has 512 words for 8 blocks).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see FreeNotOwned
    private static void Collect(Page* page)
    {
        // A plain read first: a rescan of a full list passes many pages with nothing pending, and a locked exchange on
        // each cost more than the collecting (xmalloc's producer). A flag raised just after the read is seen next time.
        if (Volatile.Read(ref page->HasPending) == 0 || Interlocked.Exchange(ref page->HasPending, 0) == 0) return;
        nuint size = page->BlockSize;
        int collected = 0;
        if (size < 1024)
        {
            for (int w = (int)(((nuint)page->Capacity * size + 1023) >> 10) - 1; w >= 0; w--) collected += CollectBits(page, w, ulong.MaxValue);
        }
        else
        {
            for (int i = page->Capacity - 1; i >= 0; i--)
            {
                nuint offset = (nuint)i * size;
                collected += CollectBits(page, (int)(offset >> 10), BlockBits.Mask(offset));
            }
        }
        if (collected != 0) page->Used -= collected;
    }

    /// <summary>
    /// Takes the pending blocks among <paramref name="candidates"/> of the page's bitmap word <paramref name="w"/> onto its
    /// free list, highest first (so they are handed out in address order); returns how many.
    /// </summary>
    /// <remarks>
    /// Allocated bits are cleared before pending bits, and readers read pending first: a block being collected never
    /// reads "allocated and not pending" to a second free. Two threads racing to free one block can both get past their
    /// checks only when the owner freed it too; a block is kept only while its allocated bit is set, so none is listed twice.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see FreeNotOwned
    private static int CollectBits(Page* page, int w, ulong candidates)
    {
        ulong* word = page->Bits + 2 * w;
        ulong pending = Volatile.Read(ref word[1]) & candidates;
        if (pending == 0) return 0;
        ulong taken = pending & word[0];
        word[0] &= ~taken;
        Interlocked.And(ref word[1], ~pending);
        int count = System.Numerics.BitOperations.PopCount(taken);
        while (taken != 0)
        {
            int bit = 63 - System.Numerics.BitOperations.LeadingZeroCount(taken);
            taken &= ~(1UL << bit);
            var block = (Block*)(page->Start + ((nuint)w << 10) + ((nuint)bit << 4));
            block->Next = page->Free;
            page->Free = block;
        }
        return count;
    }

    /// <summary>
    /// Carves up to 4 KiB more of the page's never-used blocks into its free list (touching no more memory than that),
    /// reserving storage for them first; carves nothing when the kind has no storage left for them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see FreeNotOwned
    private void Extend(Page* page)
    {
        int count = CarveCount(page->BlockSize, page->MaxBlocks, page->Capacity);
        if (count <= 0) return;
        nuint end = SizeClasses.RoundUpToCommitUnit((nuint)(page->Capacity + count) * page->BlockSize);
        nuint committed = CommittedPrefix(page);
        if (end > committed)
        {
            // Reserve ahead by four times what the page has (a busy bin's 64 KiB page costs three reservations, not one per
            // carve: with doubling, five made a Conservative 300-byte fill/free cycle on ext4 as slow as memkind's);
            // when storage is short, just what this carve needs, or else what one more block needs.
            Region region = _regions[page->RegionIndex]!;
            int start = (int)(page - region.Pages);
            nuint ahead = Math.Min(CarveEnd(page->BlockSize, page->MaxBlocks, page->MaxBlocks), Math.Max(end, 4 * committed));
            nuint one = SizeClasses.RoundUpToCommitUnit((nuint)(page->Capacity + 1) * page->BlockSize);
            // Reserving ahead is speculative: it must not make every other page give its storage back at the limit.
            if (!EnsureCommitted(region, start, ahead, giveBack: false) && !EnsureCommitted(region, start, end) && !EnsureCommitted(region, start, one)) return;
            count = Math.Min(count, (int)((CommittedPrefix(page) - (nuint)page->Capacity * page->BlockSize) / page->BlockSize));
        }
        byte* first = page->Start + (nuint)page->Capacity * page->BlockSize;
        for (int i = 0; i < count - 1; i++)
            ((Block*)(first + (nuint)i * page->BlockSize))->Next = (Block*)(first + (nuint)(i + 1) * page->BlockSize);
        ((Block*)(first + (nuint)(count - 1) * page->BlockSize))->Next = page->Free;
        page->Free = (Block*)first;
        page->Capacity += count;
    }

    /// <summary>Where the storage of a page of <paramref name="maxBlocks"/> blocks must reach for one more carve after <paramref name="carved"/> blocks.</summary>
    private static nuint CarveEnd(nuint blockSize, int maxBlocks, int carved)
        => SizeClasses.RoundUpToCommitUnit((nuint)(carved + CarveCount(blockSize, maxBlocks, carved)) * blockSize);

    private static int CarveCount(nuint blockSize, int maxBlocks, int carved) => Math.Min(maxBlocks - carved, Math.Max(1, (int)(4096 / blockSize)));

    /// <summary>Bytes from the page's start that have storage behind them without a gap.</summary>
    private static nuint CommittedPrefix(Page* page)
    {
        nuint bytes = 0;
        for (int i = 0; i < page->Slices; i++)
        {
            bytes += (nuint)page[i].CommittedBytes;
            if (page[i].CommittedBytes != (int)SizeClasses.SliceSize) break;
        }
        return bytes;
    }

    private void MoveToFull(ThreadHeap* heap, Page* page)
    {
        int bin = page->Bin;
        UnlinkPage(heap, bin, page);
        Volatile.Write(ref page->IsFull, 1);
        LinkFull(heap, bin, page);
        // Dekker with FreeRemote (push, then read IsFull): either it sees IsFull and hints, or we see its block here.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref page->HasPending) != 0) MoveFromFull(heap, page);
    }

    /// <summary>
    /// Puts a page that has free blocks again back on its bin list, behind the current page: the current page stays
    /// current, so this page can be given back as soon as it empties instead of being cached as the bin's current page.
    /// </summary>
    private void MoveFromFull(ThreadHeap* heap, Page* page)
    {
        UnlinkFull(heap, page->Bin, page);
        Volatile.Write(ref page->IsFull, 0);
        Page* current = (Page*)heap->Direct[page->Bin];
        if (current == EmptyPage)
        {
            PushPage(heap, page->Bin, page);
            return;
        }
        page->Prev = current;
        page->Next = current->Next;
        if (page->Next != null) page->Next->Prev = page;
        current->Next = page;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see FreeNotOwned
    private static bool TakeFullHint(ThreadHeap* heap, int bin)
    {
        ref ulong hints = ref bin < 64 ? ref heap->Hints.Low : ref heap->Hints.High;
        ulong mask = 1UL << (bin & 63);
        return (Volatile.Read(ref hints) & mask) != 0 && (Interlocked.And(ref hints, ~mask) & mask) != 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see FreeNotOwned
    private static void SetFullHint(ThreadHeap* heap, int bin)
    {
        ref ulong hints = ref bin < 64 ? ref heap->Hints.Low : ref heap->Hints.High;
        ulong mask = 1UL << (bin & 63);
        if ((Volatile.Read(ref hints) & mask) == 0) Interlocked.Or(ref hints, mask);
    }

    /// <summary>Collects the full pages of a bin; those with free blocks go back to the bin list. True if any did.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see FreeNotOwned
    private bool RescanFull(ThreadHeap* heap, int bin)
    {
        bool found = false;
        for (Page* page = (Page*)heap->Full[bin]; page != null;)
        {
            Page* next = page->Next;
            Collect(page);
            if (page->Free != null)
            {
                MoveFromFull(heap, page);
                found = true;
                if (page->Used == 0 && page != (Page*)heap->Direct[bin]) ReleaseSmallPage(heap, page);
            }
            page = next;
        }
        return found;
    }

    /// <summary>After a local free left a page empty or no longer full. Called without Busy; takes the lock.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AfterLocalFree(ThreadHeap* heap, Page* page)
    {
        lock (_lock)
        {
            // A reclaim may have moved the page while we waited for the lock: act only if it is still ours.
            if (_disposed || page->Owner != heap || page->State != SliceState.Small) return;
            ReviewPage(heap, page);
        }
    }

    /// <summary>Puts a page on the list its state calls for, and gives an empty page back. Under the lock.</summary>
    private void ReviewPage(ThreadHeap* heap, Page* page)
    {
        if (page->IsFull != 0 && page->Free != null) MoveFromFull(heap, page);
        if (page->Used != 0) return;
        // The current page of a bin stays cached (no lock per alloc/free pair); the purger or a reclaim takes it later.
        // So does the one page right behind a current page that is used up: the bin's next allocation would make a new
        // page at once (a bin of one-block pages, 256 KiB, with blocks live in a ring would give back and take a page
        // per pair).
        Page* current = (Page*)heap->Direct[page->Bin];
        bool next = page->Prev == current && current->Free == null && current->Capacity == current->MaxBlocks;
        if (Conservative || (page != current && !next)) ReleaseSmallPage(heap, page);
        else _reclaimHint = true;
    }

    private void ReleaseSmallPage(ThreadHeap* heap, Page* page)
    {
        if (page->IsFull != 0) UnlinkFull(heap, page->Bin, page);
        else UnlinkPage(heap, page->Bin, page);
        // An empty page has no live block, so a pending bit left here is a stray of two frees racing on one block:
        // clear it, so the slices' next page does not start with it.
        int words = (int)(((nuint)page->Capacity * page->BlockSize + 1023) >> 10);
        for (int w = 0; w < words; w++) page->Bits[2 * w + 1] = 0;
        FreePageLocked(page);
    }

    /// <summary>Frees what the fast path could not; returns the block's usable size (0 for null).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private nuint FreeSlow(void* p)
    {
        if (p == null) return 0;
        ThrowIfDisposed();
        Region region = RegionOf(p) ?? throw ForeignPointer(p, "ptr");
        nuint usable;
        if (Conservative)
        {
            lock (_lock)
            {
                ThrowIfDisposed();
                Page* page = RequireLive(region, p);
                usable = page->BlockSize;
                if (page->State == SliceState.Large) FreeLargeLocked(page);
                else
                {
                    LocalFree(_shared, page, (Block*)p);
                    ReviewPage(_shared, page);
                }
            }
            return usable;
        }
        ThreadHeap* heap = EnterHeap();
        Page* live = LivePage(region, p);
        if (live == null)
        {
            Volatile.Write(ref heap->Busy, 0);
            throw NotLive(p);
        }
        usable = live->BlockSize;
        if (live->State == SliceState.Large)
        {
            Volatile.Write(ref heap->Busy, 0);
            lock (_lock)
            {
                ThrowIfDisposed();
                Page* span = RequireLive(region, p);
                usable = span->BlockSize;
                FreeLargeLocked(span);
            }
            return usable;
        }
        if (live->Owner == heap)
        {
            LocalFree(heap, live, (Block*)p);
            bool review = (live->Used == 0) | (live->IsFull != 0);
            Volatile.Write(ref heap->Busy, 0);
            if (review) AfterLocalFree(heap, live);
            return usable;
        }
        bool doubleFree = !FreeRemote(heap, live, (Block*)p);
        Volatile.Write(ref heap->Busy, 0);
        return doubleFree ? throw NotLive(p) : usable;
    }

    private static void LocalFree(ThreadHeap* heap, Page* page, Block* block)
    {
        nuint offset = (nuint)block - (nuint)page->Start;
        *BlockBits.AllocatedWord(page->Bits, offset) &= ~BlockBits.Mask(offset);
        block->Next = page->Free;
        page->Free = block;
        page->Used--;
        heap->Frees++;
    }

    /// <summary>Frees a block into a page another thread owns. False (and nothing changed) if it is already pending.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see FreeNotOwned
    private bool FreeRemote(ThreadHeap* heap, Page* page, Block* block)
    {
        nuint offset = (nuint)block - (nuint)page->Start;
        ulong* word = BlockBits.AllocatedWord(page->Bits, offset);
        ulong mask = BlockBits.Mask(offset);
        if ((Interlocked.Or(ref word[1], mask) & mask) != 0) return false;
        heap->Frees++;
        // Raised with an exchange, a fence before the IsFull read below (Dekker with MoveToFull); most frees find it up.
        if (Volatile.Read(ref page->HasPending) == 0) Interlocked.Exchange(ref page->HasPending, 1);
        // The owner may have collected our block and released the page meanwhile (Owner is then null): no hint needed.
        ThreadHeap* owner = page->Owner;
        if (Volatile.Read(ref page->IsFull) != 0 && owner != null) SetFullHint(owner, page->Bin);
        if (!_reclaimHint) _reclaimHint = true;
        return true;
    }

    /// <summary>The page of a live block starting at <paramref name="p"/> in <paramref name="region"/>, or null.</summary>
    private static Page* LivePage(Region region, void* p)
    {
        if (((nuint)p & 15) != 0) return null;
        nuint offset = (nuint)p - (nuint)region.Base;
        ulong* word = BlockBits.AllocatedWord(region.Bits, offset);
        // Pending before allocated, as in the free fast path (see there).
        ulong pending = Volatile.Read(ref word[1]);
        if ((word[0] & ~pending & BlockBits.Mask(offset)) == 0) return null;
        return region.Pages[offset >> SizeClasses.SliceShift].Head;
    }

    private Page* RequireLive(Region region, void* p)
    {
        Page* page = LivePage(region, p);
        return page != null ? page : throw NotLive(p);
    }

    private ArgumentException NotLive(void* p)
        => new($"The pointer 0x{(nuint)p:x} is not a live block of kind '{Name}': it was already freed, points inside a block, or was never allocated.", "ptr");

    // ---------------------------------------------------------------- heap page lists

    private static void PushPage(ThreadHeap* heap, int bin, Page* page)
    {
        Page* head = (Page*)heap->Direct[bin];
        page->Prev = null;
        page->Next = head == EmptyPage ? null : head;
        if (page->Next != null) page->Next->Prev = page;
        heap->Direct[bin] = (long)page;
    }

    private static void UnlinkPage(ThreadHeap* heap, int bin, Page* page)
    {
        if (page->Prev != null) page->Prev->Next = page->Next;
        else heap->Direct[bin] = page->Next == null ? (long)EmptyPage : (long)page->Next;
        if (page->Next != null) page->Next->Prev = page->Prev;
        page->Next = page->Prev = null;
    }

    private static void LinkFull(ThreadHeap* heap, int bin, Page* page)
    {
        page->Prev = null;
        page->Next = (Page*)heap->Full[bin];
        if (page->Next != null) page->Next->Prev = page;
        heap->Full[bin] = (long)page;
    }

    private static void UnlinkFull(ThreadHeap* heap, int bin, Page* page)
    {
        if (page->Prev != null) page->Prev->Next = page->Next;
        else heap->Full[bin] = (long)page->Next;
        if (page->Next != null) page->Next->Prev = page->Prev;
        page->Next = page->Prev = null;
    }
}
