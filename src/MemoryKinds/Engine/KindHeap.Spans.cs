using System.Numerics;
using System.Runtime.CompilerServices;

namespace MemoryKinds.Engine;

// Free spans of slices: where pages and large blocks come from, how storage is grown, committed again and given back.
// Everything here runs under the kind's lock.
internal sealed unsafe partial class KindHeap
{
    private const int SpanBinCount = 40;
    /// <summary>Default policy: how long a freed span keeps its storage before the purger gives it back.</summary>
    internal const long PurgeDelayMs = 3000;
    private const long MaxSingleRegion = 64L << 30;
    private static readonly nuint MaxRegionSize = unchecked((nuint)(ulong)MaxSingleRegion);

    /// <summary>Free spans by floor(log2(slices)), linked through <see cref="Page.Next"/>.</summary>
    private readonly nint[] _freeSpans = new nint[SpanBinCount];
    private long _committedBytes, _activeBytes;
    /// <summary>
    /// Moves whenever storage is reserved or slices are freed: what the walks at the limit could give back changes only
    /// then. <see cref="_fruitlessEpoch"/> is its value when those walks last left the limit still in the way.
    /// </summary>
    private long _storageEpoch, _fruitlessEpoch = -1;
    /// <summary>The last span request that failed (slices, storage, alignment) and the epoch then; see <see cref="KnownToFail"/>.</summary>
    private int _failedSlices;
    private nuint _failedCommit, _failedAlignment;
    private long _failedEpoch = -1, _reclaimEpoch = -1;
    private bool _limitRefused;
    private bool _cannotDecommit;
    /// <summary>Earliest <see cref="Page.PurgeAt"/> among free spans (0: nothing to purge); read by the purger without the lock.</summary>
    private long _nextPurge;

    /// <summary>
    /// The first region's size: for a bounded kind twice its limit, because storage is reserved per OS page while address
    /// space goes by slices (a kind full of partly used pages, or of blocks just over a slice boundary, would run out of
    /// slices before it reaches its limit); address space costs nothing, and the metadata only where it is touched.
    /// <see cref="ExactRegionSize"/> is the fallback when the source cannot reserve that much (a fixed area).
    /// </summary>
    private static nuint FirstRegionSize(MemorySource source)
    {
        long limit = source.Limit;
        if (limit > 0 && limit <= MaxSingleRegion) return RoundUp((nuint)Math.Min(2 * limit, MaxSingleRegion), MemorySource.GrowthUnit);
        return source is AnonymousMemorySource ? 256u << 20 : 64u << 20;
    }

    private static nuint ExactRegionSize(MemorySource source)
    {
        long limit = source.Limit;
        return limit > 0 && limit <= MaxSingleRegion ? RoundUp((nuint)limit, MemorySource.GrowthUnit) : FirstRegionSize(source);
    }

    private static nuint RoundUp(nuint value, nuint unit) => (value + unit - 1) & ~(unit - 1);

    private void InitializeSpans(Region region)
    {
        Page* head = region.Pages;
        region.Touch(0);
        head->Slices = region.SliceCount;
        head->RegionIndex = region.Index;
        region.Pages[region.SliceCount - 1].Head = head;
        head->Head = head;
        InsertSpan(head);
    }

    /// <summary>
    /// Takes <paramref name="slices"/> slices starting on an <paramref name="alignment"/> boundary, the first
    /// <paramref name="commitBytes"/> of them committed; null when the kind has no room.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // rare calls: see AllocLarge
    private Page* AllocSpanLocked(int slices, nuint alignment, nuint commitBytes, out Region region)
    {
        if (KnownToFail(slices, alignment, commitBytes))
        {
            region = null!;
            return null;
        }
        while (true)
        {
            Page* span = FindSpan(slices, alignment, out int skip);
            if (span != null)
            {
                region = _regions[span->RegionIndex]!;
                int total = span->Slices;
                int spanStart = (int)(span - region.Pages);
                // When the free span ends in reserved storage, multi-slice spans come from its top and single slices from
                // its bottom: small pages cached here and there then cannot cut up the room big pages need. Otherwise
                // from the bottom, which keeps the file's used offsets low and reuses what was given back.
                if (slices > 1 && region.Pages[spanStart + total - 1].CommittedBytes > 0) skip = Math.Max(skip, TopStart(region, spanStart + total - slices, alignment) - spanStart);
                int start = spanStart + skip;
                RemoveSpan(span);
                long purgeAt = span->PurgeAt;
                if (skip > 0) MakeFreeSpan(region, start - skip, skip, purgeAt);
                if (total - skip - slices > 0) MakeFreeSpan(region, start + slices, total - skip - slices, purgeAt);
                if (EnsureCommitted(region, start, commitBytes)) return region.Pages + start;
                // At the limit the span's own storage past what it needs now (left from the slices' earlier use) counts
                // too: give it back and try once more.
                if (DecommitBeyond(region, start, slices, commitBytes) && EnsureCommitted(region, start, commitBytes)) return region.Pages + start;
                // Giving the span back is no change to what later requests can find.
                long epoch = _storageEpoch;
                FreeSpanLocked(region, start, slices);
                _storageEpoch = epoch;
                if (_limitRefused) NoteFailure(slices, alignment, commitBytes);
                return null;
            }
            if (!TryAddRegion(slices, alignment))
            {
                // A bounded kind's address space is fixed; an unbounded one's may be refused by the OS only for now.
                if (_limit > 0) NoteFailure(slices, alignment, commitBytes);
                region = null!;
                return null;
            }
        }
    }

    /// <summary>
    /// Whether a span request must fail as one no larger did before: since then no storage was reserved or freed, no
    /// slices came back and no thread left a reclaim hint. A program that keeps asking a full kind (memkind's MaxFill
    /// test asks 18 million times) then fails at once instead of walking spans and reclaiming each time.
    /// </summary>
    private bool KnownToFail(int slices, nuint alignment, nuint commitBytes)
        => _failedEpoch == _storageEpoch && !_reclaimHint && slices >= _failedSlices && commitBytes >= _failedCommit
           && Math.Max(alignment, SizeClasses.SliceSize) >= _failedAlignment;

    private void NoteFailure(int slices, nuint alignment, nuint commitBytes)
    {
        _failedEpoch = _storageEpoch;
        _failedSlices = slices;
        _failedCommit = commitBytes;
        _failedAlignment = Math.Max(alignment, SizeClasses.SliceSize);
    }

    /// <summary>Reclaims for an allocation that found no room, unless nothing could have changed since the last such reclaim.</summary>
    private void ReclaimForRoom(ThreadHeap* self)
    {
        if (!_reclaimHint && _reclaimEpoch == _storageEpoch) return;
        // Cleared first: a hint a thread leaves while the reclaim runs stays for the next one.
        _reclaimHint = false;
        ReclaimLocked(self);
        _reclaimEpoch = _storageEpoch;
    }

    /// <summary>The highest slice at or below <paramref name="slice"/> whose address has <paramref name="alignment"/>.</summary>
    private static int TopStart(Region region, int slice, nuint alignment)
    {
        if (alignment <= SizeClasses.SliceSize) return slice;
        nuint address = (nuint)(region.Base + ((nuint)slice << SizeClasses.SliceShift)) & ~(alignment - 1);
        return address < (nuint)region.Base ? -1 : (int)((address - (nuint)region.Base) >> SizeClasses.SliceShift);
    }

    private Page* FindSpan(int slices, nuint alignment, out int skip)
    {
        skip = 0;
        for (int bin = BitOperations.Log2((uint)slices); bin < SpanBinCount; bin++)
        {
            for (Page* span = (Page*)_freeSpans[bin]; span != null; span = span->Next)
            {
                if (span->Slices < slices) continue;
                if (alignment <= SizeClasses.SliceSize) return span;
                Region region = _regions[span->RegionIndex]!;
                byte* address = region.Base + ((nuint)(span - region.Pages) << SizeClasses.SliceShift);
                nuint aligned = RoundUp((nuint)address, alignment);
                if (aligned < (nuint)address) continue;
                nuint skipSlices = (aligned - (nuint)address) >> SizeClasses.SliceShift;
                if (skipSlices + (nuint)slices <= (nuint)span->Slices)
                {
                    skip = (int)skipSlices;
                    return span;
                }
            }
        }
        return null;
    }

    /// <summary>Reserves another region when the kind may grow (no single-region limit); false when it cannot.</summary>
    private bool TryAddRegion(int slices, nuint alignment)
    {
        Region last = _regions[_regionCount - 1]!;
        if (_limit > 0 && last.Size >= (nuint)_limit) return false;
        if (_regionCount >= 255) return false;
        nuint needed = ((nuint)slices << SizeClasses.SliceShift) + (alignment > MemorySource.RegionAlignment ? alignment : 0);
        if (needed < (nuint)slices || needed > MaxRegionSize * 4) return false;
        nuint size = Math.Max(RoundUp(needed, MemorySource.RegionAlignment), Math.Min(last.Size * 2, MaxRegionSize));
        if (_limit > 0 && size > (nuint)_limit) size = Math.Max(RoundUp(needed, MemorySource.RegionAlignment), RoundUp((nuint)_limit, MemorySource.GrowthUnit));
        Region? region = Region.TryCreate(Source, size, _regionCount);
        if (region is null) return false;
        if (_regionCount == _regions.Length)
        {
            var grown = new Region?[_regions.Length * 2];
            Array.Copy(_regions, grown, _regionCount);
            Volatile.Write(ref _regions, grown);
        }
        Volatile.Write(ref _regions[_regionCount], region);
        _regionCount++;
        AddressMap.Register(region.Base, region.Size, AddressMap.Encode(Slot, region.Index));
        InitializeSpans(region);
        _storageEpoch++;
        return true;
    }

    /// <summary>
    /// Makes the first <paramref name="bytes"/> (a multiple of <see cref="SizeClasses.CommitUnit"/>) of the stretch of
    /// slices from <paramref name="start"/> committed: mapped, then reserved where they are not yet, within the kind's limit.
    /// </summary>
    /// <remarks>Slices are mapped whole and ahead of need (that costs no storage), but reserved only as far as asked.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // rare calls: see AllocLarge
    private bool EnsureCommitted(Region region, int start, nuint bytes, bool giveBack = true)
    {
        _limitRefused = false;
        if (bytes == 0) return true;
        int end = start + (int)((bytes + SizeClasses.SliceSize - 1) >> SizeClasses.SliceShift);
        nuint lastNeed = bytes - ((nuint)(end - 1 - start) << SizeClasses.SliceShift);
        if (end > region.Frontier && !TryMapTo(region, end)) return false;
        if (Missing() == 0) return true;
        // At the limit, the kind's own storage that holds no block is given back first: what free spans still hold
        // (waiting for the purger), then what pages hold past their carved blocks. The address space has room elsewhere.
        if (giveBack && _limit > 0 && _committedBytes + Missing() > _limit && _storageEpoch != _fruitlessEpoch)
        {
            DecommitFreeSpans();
            if (_committedBytes + Missing() > _limit) DecommitUncarvedTails();
            // Nothing more to give back until storage is reserved or spans are freed again: a program that keeps
            // asking a full kind fails at once instead of walking every page each time.
            if (_committedBytes + Missing() > _limit) _fruitlessEpoch = _storageEpoch;
        }
        // Refused by the kind's own limit (not by the file system, which may find room later): KnownToFail may rely on it.
        _limitRefused = _limit > 0 && _committedBytes + Missing() > _limit;
        if (_limitRefused) return false;
        if (Reserve()) return true;
        // The file system is full (ENOSPC, EDQUOT): give back the kind's own idle storage and try once more, whatever
        // the kind's limit (a kind bounded only by the file system needs this most).
        if (!giveBack || !Source.CanDecommit) return false;
        GiveBackIdleStorage();
        return Reserve();

        // One reservation per run of missing storage: a run goes on into the next slice only while this one is needed
        // whole and the next has nothing reserved yet.
        bool Reserve()
        {
            for (int i = start; i < end;)
            {
                nuint have = (nuint)region.Pages[i].CommittedBytes;
                if (have >= Need(i)) { i++; continue; }
                int last = i;
                while (Need(last) == SizeClasses.SliceSize && last + 1 < end && region.Pages[last + 1].CommittedBytes == 0) last++;
                nuint from = ((nuint)i << SizeClasses.SliceShift) + have, to = ((nuint)last << SizeClasses.SliceShift) + Need(last);
                if (!Source.TryRecommit(region.Memory, from, to - from)) return false;
                for (int j = i; j <= last; j++) MarkCommitted(region, j, Need(j));
                i = last + 1;
            }
            return true;
        }

        nuint Need(int slice) => slice == end - 1 ? lastNeed : SizeClasses.SliceSize;

        long Missing()
        {
            long missing = 0;
            for (int i = start; i < end; i++) missing += Math.Max(0, (long)Need(i) - region.Pages[i].CommittedBytes);
            return missing;
        }
    }

    /// <summary>Maps slices up to at least <paramref name="end"/>, ahead by as much as is mapped already (up to 16 MiB).</summary>
    private bool TryMapTo(Region region, int end)
    {
        // Mapping ahead costs address space only (no storage: that is reserved per page), and saves a map call for each
        // further page; the first map is exact, which keeps creating a kind for one small block cheap.
        int from = region.Frontier;
        int target = Math.Min(region.SliceCount, Math.Max(end, from + Math.Min(from, 256)));
        if (!Source.TryMap(region.Memory, (nuint)from << SizeClasses.SliceShift, (nuint)(target - from) << SizeClasses.SliceShift))
        {
            if (target <= end) return false;
            target = end;
            if (!Source.TryMap(region.Memory, (nuint)from << SizeClasses.SliceShift, (nuint)(target - from) << SizeClasses.SliceShift)) return false;
        }
        region.Frontier = target;
        return true;
    }

    /// <summary>Notes that the first <paramref name="bytes"/> of a slice (at least what it had) are reserved now.</summary>
    private void MarkCommitted(Region region, int slice, nuint bytes)
    {
        Page* page = region.Pages + slice;
        long delta = (long)bytes - page->CommittedBytes;
        // A free slice with nothing reserved reads as zeros (fresh, or punched); one that had storage keeps its verdict.
        // A slice in use (a page reserving as it fills) is being written: it must not say zeros when it is freed.
        if (page->State != SliceState.Free) _activeBytes += delta;
        else if (page->CommittedBytes == 0) page->Zeroed = true;
        page->CommittedBytes = (int)bytes;
        _committedBytes += delta;
        _storageEpoch++;
        NotePeaks();
    }

    /// <summary>Gives back the storage of the slices in [start, start+count), if the source can.</summary>
    private void DecommitRange(Region region, int start, int count)
    {
        int end = start + count;
        for (int i = start; i < end && !_cannotDecommit;)
        {
            if (region.Pages[i].CommittedBytes == 0) { i++; continue; }
            // One hole punch per run of reserved storage: a run goes on into the next slice only past a whole slice.
            int last = i;
            while (region.Pages[last].CommittedBytes == (int)SizeClasses.SliceSize && last + 1 < end && region.Pages[last + 1].CommittedBytes > 0) last++;
            nuint from = (nuint)i << SizeClasses.SliceShift, to = ((nuint)last << SizeClasses.SliceShift) + (nuint)region.Pages[last].CommittedBytes;
            if (!Source.Decommit(region.Memory, from, to - from))
            {
                // Without hole punching (ramfs) the kind keeps freed storage and reuses it; it never aborts.
                _cannotDecommit = !Source.CanDecommit;
                return;
            }
            for (int j = i; j <= last; j++)
            {
                _committedBytes -= region.Pages[j].CommittedBytes;
                region.Pages[j].CommittedBytes = 0;
                region.Pages[j].Zeroed = true;
            }
            i = last + 1;
        }
    }

    /// <summary>Returns [start, start+count) to the free spans, merging with free neighbours; the conservative policy gives the storage back at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // rare calls: see AllocLarge
    private void FreeSpanLocked(Region region, int start, int count)
    {
        _storageEpoch++;
        for (int i = start; i < start + count; i++)
        {
            Page* slice = region.Pages + i;
            slice->State = SliceState.Free;
            slice->Head = null;
            slice->Owner = null;
            slice->IsFull = 0;
        }
        if (Conservative) DecommitRange(region, start, count);
        long purgeAt = Conservative || _cannotDecommit ? 0 : Environment.TickCount64 + PurgeDelayMs;
        if (start > 0 && region.Pages[start - 1].State == SliceState.Free)
        {
            Page* left = region.Pages[start - 1].Head;
            RemoveSpan(left);
            purgeAt = Math.Max(purgeAt, left->PurgeAt);
            count += left->Slices;
            start = (int)(left - region.Pages);
        }
        int end = start + count;
        if (end < region.SliceCount && region.Pages[end].State == SliceState.Free && region.Pages[end].Head == region.Pages + end)
        {
            Page* right = region.Pages + end;
            RemoveSpan(right);
            purgeAt = Math.Max(purgeAt, right->PurgeAt);
            count += right->Slices;
        }
        MakeFreeSpan(region, start, count, 0);
        if (purgeAt != 0) SchedulePurge(region.Pages + start, purgeAt);
    }

    private void SchedulePurge(Page* span, long purgeAt)
    {
        span->PurgeAt = Math.Max(span->PurgeAt, purgeAt);
        _nextPurge = _nextPurge == 0 ? span->PurgeAt : Math.Min(_nextPurge, span->PurgeAt);
    }

    private void MakeFreeSpan(Region region, int start, int count, long purgeAt)
    {
        Page* head = region.Pages + start;
        head->State = SliceState.Free;
        head->Slices = count;
        head->RegionIndex = region.Index;
        head->PurgeAt = purgeAt;
        head->Head = head;
        Page* tail = head + count - 1;
        tail->State = SliceState.Free;
        tail->Head = head;
        region.Touch(start);
        region.Touch(start + count - 1);
        InsertSpan(head);
    }

    private void InsertSpan(Page* span)
    {
        int bin = BitOperations.Log2((uint)span->Slices);
        span->Prev = null;
        span->Next = (Page*)_freeSpans[bin];
        if (span->Next != null) span->Next->Prev = span;
        _freeSpans[bin] = (nint)span;
    }

    private void RemoveSpan(Page* span)
    {
        int bin = BitOperations.Log2((uint)span->Slices);
        if (span->Prev != null) span->Prev->Next = span->Next;
        else _freeSpans[bin] = (nint)span->Next;
        if (span->Next != null) span->Next->Prev = span->Prev;
        span->Next = span->Prev = null;
    }

    /// <summary>Gives back all storage that holds no block: what free spans hold and what pages hold past their carved blocks.</summary>
    private void GiveBackIdleStorage()
    {
        DecommitFreeSpans();
        DecommitUncarvedTails();
    }

    /// <summary>Gives back the storage of every free span now.</summary>
    private void DecommitFreeSpans()
    {
        for (int bin = 0; bin < SpanBinCount && !_cannotDecommit; bin++)
        {
            for (Page* span = (Page*)_freeSpans[bin]; span != null; span = span->Next)
            {
                Region region = _regions[span->RegionIndex]!;
                DecommitRange(region, (int)(span - region.Pages), span->Slices);
                span->PurgeAt = 0;
            }
        }
    }

    /// <summary>
    /// Gives back the storage pages and large blocks hold past what they hand out: a page's uncarved blocks (reserved
    /// ahead of need, or left from the slices' earlier use) and a large block's slack past its size. Nothing there was
    /// handed out, and carving happens only under the lock, so no thread can be touching it.
    /// </summary>
    private void DecommitUncarvedTails()
    {
        for (int r = 0; r < _regionCount && !_cannotDecommit; r++)
        {
            Region region = _regions[r]!;
            for (int i = 0; i < region.Frontier && !_cannotDecommit;)
            {
                Page* head = region.Pages + i;
                if (head->Head != head || head->State == SliceState.Free)
                {
                    i += head->Head == head ? head->Slices : 1;
                    continue;
                }
                nuint keep = head->State == SliceState.Large ? head->BlockSize : SizeClasses.RoundUpToCommitUnit((nuint)head->Capacity * head->BlockSize);
                DecommitBeyond(region, i, head->Slices, keep);
                i += head->Slices;
            }
        }
    }

    /// <summary>Gives back the storage of slices [start, start+count) past the stretch's first <paramref name="keep"/> bytes; whether any was given back.</summary>
    private bool DecommitBeyond(Region region, int start, int count, nuint keep)
    {
        bool any = false;
        for (int j = 0; j < count && !_cannotDecommit; j++)
        {
            nuint sliceStart = (nuint)j << SizeClasses.SliceShift, have = (nuint)region.Pages[start + j].CommittedBytes;
            nuint kept = keep <= sliceStart ? 0 : Math.Min(have, keep - sliceStart);
            if (have > kept) any |= DecommitTail(region, start + j, kept);
        }
        return any;
    }

    /// <summary>Gives back the storage of slice <paramref name="slice"/> past its first <paramref name="kept"/> bytes.</summary>
    private bool DecommitTail(Region region, int slice, nuint kept)
    {
        Page* page = region.Pages + slice;
        nuint from = ((nuint)slice << SizeClasses.SliceShift) + kept;
        if (!Source.Decommit(region.Memory, from, (nuint)page->CommittedBytes - kept))
        {
            _cannotDecommit = !Source.CanDecommit;
            return false;
        }
        long delta = page->CommittedBytes - (long)kept;
        page->CommittedBytes = (int)kept;
        _committedBytes -= delta;
        if (page->State != SliceState.Free) _activeBytes -= delta;
        else if (kept == 0) page->Zeroed = true;
        return true;
    }

    /// <summary>Gives back the storage of spans that have been free longer than the purge delay, and notes when the next is due.</summary>
    private void PurgeExpiredLocked(long now)
    {
        long next = 0;
        for (int bin = 0; bin < SpanBinCount; bin++)
        {
            for (Page* span = (Page*)_freeSpans[bin]; span != null; span = span->Next)
            {
                if (span->PurgeAt == 0 || _cannotDecommit) continue;
                if (span->PurgeAt > now)
                {
                    next = next == 0 ? span->PurgeAt : Math.Min(next, span->PurgeAt);
                    continue;
                }
                Region region = _regions[span->RegionIndex]!;
                DecommitRange(region, (int)(span - region.Pages), span->Slices);
                span->PurgeAt = 0;
            }
        }
        _nextPurge = next;
    }

    /// <summary>A fresh small page of <paramref name="bin"/> owned by <paramref name="heap"/>, or null.</summary>
    private Page* NewSmallPage(ThreadHeap* heap, int bin)
    {
        int slices = SizeClasses.PageSlices(bin);
        nuint blockSize = SizeClasses.BlockSize(bin);
        int maxBlocks = SizeClasses.PageBlocks(bin);
        // Storage for the first carve only (see Extend): a page that stays nearly empty then costs an OS page or two.
        Page* page = AllocSpanLocked(slices, SizeClasses.PageAlignment(slices), CarveEnd(blockSize, maxBlocks, 0), out Region region);
        if (page == null) return null;
        InitializeSpan(region, page, slices, SliceState.Small);
        page->Owner = heap;
        page->Bin = (short)bin;
        page->BlockSize = blockSize;
        page->MaxBlocks = maxBlocks;
        return page;
    }

    /// <summary>Marks a span as one page or large block: every slice points at the head; counters and links reset.</summary>
    /// <returns>Whether all of the span read as zeros.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // rare calls: see AllocLarge
    private bool InitializeSpan(Region region, Page* head, int slices, SliceState state)
    {
        bool zeroed = true;
        region.Touch((int)(head - region.Pages) + slices - 1);
        long committed = 0;
        for (int i = 0; i < slices; i++)
        {
            head[i].Head = head;
            head[i].State = state;
            zeroed &= head[i].Zeroed;
            head[i].Zeroed = false;
            committed += head[i].CommittedBytes;
        }
        nuint offset = (nuint)(head - region.Pages) << SizeClasses.SliceShift;
        head->Start = region.Base + offset;
        head->Bits = BlockBits.AllocatedWord(region.Bits, offset);
        head->Slices = slices;
        head->RegionIndex = region.Index;
        head->Free = null;
        head->HasPending = 0;
        head->Used = head->Capacity = 0;
        head->IsFull = 0;
        head->Next = head->Prev = null;
        head->PurgeAt = 0;
        _activeBytes += committed;
        NotePeaks();
        return zeroed;
    }

    /// <summary>Returns an empty small page (or a freed large span) to the free spans.</summary>
    private void FreePageLocked(Page* page)
    {
        Region region = _regions[page->RegionIndex]!;
        for (int i = 0; i < page->Slices; i++) _activeBytes -= page[i].CommittedBytes;
        FreeSpanLocked(region, (int)(page - region.Pages), page->Slices);
    }
}
