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
    private bool _cannotDecommit;
    /// <summary>Earliest <see cref="Page.PurgeAt"/> among free spans (0: nothing to purge); read by the purger without the lock.</summary>
    private long _nextPurge;

    private static nuint FirstRegionSize(MemorySource source)
    {
        long limit = source.Limit;
        if (limit > 0 && limit <= MaxSingleRegion) return RoundUp((nuint)limit, MemorySource.GrowthUnit);
        return source is AnonymousMemorySource ? 256u << 20 : 64u << 20;
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

    /// <summary>Takes <paramref name="slices"/> committed slices starting on an <paramref name="alignment"/> boundary; null when the kind has no room.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // rare calls: see AllocLarge
    private Page* AllocSpanLocked(int slices, nuint alignment, out Region region)
    {
        while (true)
        {
            Page* span = FindSpan(slices, alignment, out int skip);
            if (span != null)
            {
                region = _regions[span->RegionIndex]!;
                int total = span->Slices;
                int spanStart = (int)(span - region.Pages);
                // Within grown storage, multi-slice spans come from the top of a free span and single slices from the
                // bottom: small pages cached here and there then cannot cut up the room big pages need.
                if (slices > 1 && spanStart + total <= region.Frontier) skip = Math.Max(skip, TopStart(region, spanStart + total - slices, alignment) - spanStart);
                int start = spanStart + skip;
                RemoveSpan(span);
                long purgeAt = span->PurgeAt;
                if (skip > 0) MakeFreeSpan(region, start - skip, skip, purgeAt);
                if (total - skip - slices > 0) MakeFreeSpan(region, start + slices, total - skip - slices, purgeAt);
                if (EnsureCommitted(region, start, slices)) return region.Pages + start;
                FreeSpanLocked(region, start, slices);
                return null;
            }
            if (!TryAddRegion(slices, alignment))
            {
                region = null!;
                return null;
            }
        }
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
        return true;
    }

    /// <summary>Makes slices [start, start+count) committed: storage grown or reserved again, within the kind's limit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // rare calls: see AllocLarge
    private bool EnsureCommitted(Region region, int start, int count)
    {
        int end = start + count;
        long missing = 0;
        for (int i = start; i < Math.Min(end, region.Frontier); i++)
            if (!region.Pages[i].Committed) missing++;
        int growEnd = end > region.Frontier ? GrowTarget(region, end) : region.Frontier;
        long newBytes = (missing + growEnd - region.Frontier) << SizeClasses.SliceShift;
        if (_limit > 0 && _committedBytes + newBytes > _limit)
        {
            growEnd = Math.Max(end, region.Frontier);
            newBytes = (missing + growEnd - region.Frontier) << SizeClasses.SliceShift;
            if (_committedBytes + newBytes > _limit) return false;
        }
        for (int i = start; i < Math.Min(end, region.Frontier);)
        {
            if (region.Pages[i].Committed) { i++; continue; }
            int run = i;
            while (run < Math.Min(end, region.Frontier) && !region.Pages[run].Committed) run++;
            if (!Source.TryRecommit(region.Memory, (nuint)i << SizeClasses.SliceShift, (nuint)(run - i) << SizeClasses.SliceShift)) return false;
            MarkCommitted(region, i, run);
            i = run;
        }
        if (growEnd > region.Frontier)
        {
            int from = region.Frontier;
            if (!Source.TryGrow(region.Memory, (nuint)from << SizeClasses.SliceShift, (nuint)(growEnd - from) << SizeClasses.SliceShift))
            {
                // Growing ahead is an optimisation: when storage is short, grow by exactly what is needed.
                if (growEnd <= end) return false;
                growEnd = end;
                if (!Source.TryGrow(region.Memory, (nuint)from << SizeClasses.SliceShift, (nuint)(growEnd - from) << SizeClasses.SliceShift)) return false;
            }
            region.Frontier = growEnd;
            MarkCommitted(region, from, growEnd);
            // An aligned span can start past the old frontier: the gap it skipped is now storage in a free span.
            if (from < start) ReleaseLater(region, region.Pages[start - 1].Head, from, start - from);
            // Slices grown ahead of need sit in a free span: let the purger take them back if they stay unused.
            if (growEnd > end) ReleaseLater(region, region.Pages + end, end, growEnd - end);
        }
        return true;
    }

    /// <summary>How far to grow: at least to <paramref name="end"/>, ahead by as much as is mapped already (up to 2 MiB), except under the conservative policy.</summary>
    private int GrowTarget(Region region, int end)
    {
        if (Conservative) return end;
        // Grow by what is already mapped, at most 2 MiB ahead: a grow (fallocate + mmap, ~30 us) then serves thousands of
        // small blocks, while the storage held ahead of need stays a small part of the file (it counts in st_blocks, and
        // on tmpfs it is RAM). The first grow is exact, which keeps creating a kind for one small block cheap.
        int ahead = Math.Min(region.Frontier, 32);
        return Math.Min(region.SliceCount, Math.Max(end, region.Frontier + ahead));
    }

    private void MarkCommitted(Region region, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            region.Pages[i].Committed = true;
            region.Pages[i].Zeroed = true;
        }
        _committedBytes += (long)(to - from) << SizeClasses.SliceShift;
    }

    /// <summary>Gives back the storage of the committed slices in [start, start+count), if the source can.</summary>
    private void DecommitRange(Region region, int start, int count)
    {
        int end = start + count;
        for (int i = start; i < end && !_cannotDecommit;)
        {
            if (!region.Pages[i].Committed) { i++; continue; }
            int run = i;
            while (run < end && region.Pages[run].Committed) run++;
            if (!Source.Decommit(region.Memory, (nuint)i << SizeClasses.SliceShift, (nuint)(run - i) << SizeClasses.SliceShift))
            {
                // Without hole punching (ramfs) the kind keeps freed storage and reuses it; it never aborts.
                _cannotDecommit = !Source.CanDecommit;
                return;
            }
            for (int j = i; j < run; j++)
            {
                region.Pages[j].Committed = false;
                region.Pages[j].Zeroed = true;
            }
            _committedBytes -= (long)(run - i) << SizeClasses.SliceShift;
            i = run;
        }
    }

    /// <summary>Returns [start, start+count) to the free spans, merging with free neighbours; the conservative policy gives the storage back at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // rare calls: see AllocLarge
    private void FreeSpanLocked(Region region, int start, int count)
    {
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

    /// <summary>Committed slices [from, from+count) sit unused in the free span headed by <paramref name="span"/>: give them back per the policy.</summary>
    private void ReleaseLater(Region region, Page* span, int from, int count)
    {
        if (Conservative) DecommitRange(region, from, count);
        else SchedulePurge(span, Environment.TickCount64 + PurgeDelayMs);
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
        Page* page = AllocSpanLocked(slices, SizeClasses.PageAlignment(slices), out Region region);
        if (page == null) return null;
        InitializeSpan(region, page, slices, SliceState.Small);
        page->Owner = heap;
        page->Bin = (short)bin;
        page->BlockSize = SizeClasses.BlockSize(bin);
        page->MaxBlocks = (int)(((nuint)slices << SizeClasses.SliceShift) / page->BlockSize);
        return page;
    }

    /// <summary>Marks a span as one page or large block: every slice points at the head; counters and links reset.</summary>
    /// <returns>Whether all of the span read as zeros.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // rare calls: see AllocLarge
    private bool InitializeSpan(Region region, Page* head, int slices, SliceState state)
    {
        bool zeroed = true;
        region.Touch((int)(head - region.Pages) + slices - 1);
        for (int i = 0; i < slices; i++)
        {
            head[i].Head = head;
            head[i].State = state;
            zeroed &= head[i].Zeroed;
            head[i].Zeroed = false;
        }
        nuint offset = (nuint)(head - region.Pages) << SizeClasses.SliceShift;
        head->Start = region.Base + offset;
        head->Bits = BlockBits.AllocatedWord(region.Bits, offset);
        head->Slices = slices;
        head->RegionIndex = region.Index;
        head->Free = null;
        head->ThreadFree = 0;
        head->Used = head->Capacity = 0;
        head->IsFull = 0;
        head->Next = head->Prev = null;
        head->PurgeAt = 0;
        _activeBytes += (long)slices << SizeClasses.SliceShift;
        return zeroed;
    }

    /// <summary>Returns an empty small page (or a freed large span) to the free spans.</summary>
    private void FreePageLocked(Page* page)
    {
        Region region = _regions[page->RegionIndex]!;
        _activeBytes -= (long)page->Slices << SizeClasses.SliceShift;
        FreeSpanLocked(region, (int)(page - region.Pages), page->Slices);
    }
}
