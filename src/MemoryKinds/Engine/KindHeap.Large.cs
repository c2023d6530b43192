using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MemoryKinds.Engine;

// Large blocks (over 512 KiB, or aligned beyond 64 KiB): one span of whole slices each, allocated and freed under the lock.
internal sealed unsafe partial class KindHeap
{
    /// <summary>No request above this (64 TiB) can be met: refusing early keeps all size arithmetic in range.</summary>
    private const ulong MaxRequest = 1UL << 46;

    private long _largeAllocatedBytes;

    // The large-block and span paths are called too rarely for tiered compilation to promote them soon: without this they
    // ran as unoptimized tier-0 code for the first ~200 ms of a process, 0.5 µs more per 1 MiB alloc+free.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void* AllocLarge(nuint size, nuint alignment, bool zeroed)
    {
        ThrowIfDisposed();
        if (size > MaxRequest || alignment > MaxRequest || (_limit > 0 && size > (ulong)_limit)) return null;
        // Storage only for the OS pages the block covers; its last slice's remainder stays a hole.
        nuint bytes = SizeClasses.RoundUpToCommitUnit(Math.Max(size, 1));
        int slices = (int)((bytes + SizeClasses.SliceSize - 1) >> SizeClasses.SliceShift);
        bool wasZero;
        byte* start;
        lock (_lock)
        {
            ThrowIfDisposed();
            Page* span = AllocSpanLocked(slices, alignment, bytes, out Region region);
            if (span == null)
            {
                ReclaimForRoom(ThreadHeaps.Find(Slot, Uid));
                span = AllocSpanLocked(slices, alignment, bytes, out region);
                if (span == null) return null;
            }
            wasZero = InitializeSpan(region, span, slices, SliceState.Large);
            span->Owner = null;
            span->Bin = -1;
            span->BlockSize = bytes;
            span->MaxBlocks = span->Capacity = span->Used = 1;
            *span->Bits |= 1;
            _largeAllocatedBytes += (long)span->BlockSize;
            _largeAllocations++;
            start = span->Start;
        }
        if (zeroed && !wasZero) NativeMemory.Clear(start, size);
        return start;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see AllocLarge
    private void FreeLargeLocked(Page* span)
    {
        *span->Bits &= ~1UL;
        _largeAllocatedBytes -= (long)span->BlockSize;
        _largeFrees++;
        FreePageLocked(span);
    }

    /// <summary>Shrinks a large block by giving its tail slices back, or grows it over the rest of its last slice and into a free span right after it. Under the lock.</summary>
    private bool TryResizeLargeInPlace(void* p, nuint size)
    {
        if (size > MaxRequest || (_limit > 0 && size > (ulong)_limit)) return false;
        nuint bytes = SizeClasses.RoundUpToCommitUnit(size);
        int slices = (int)((bytes + SizeClasses.SliceSize - 1) >> SizeClasses.SliceShift);
        lock (_lock)
        {
            ThrowIfDisposed();
            Region region = RegionOf(p)!;
            Page* span = RequireLive(region, p);
            int start = (int)(span - region.Pages), extra = slices - span->Slices;
            if (extra < 0)
            {
                for (int i = slices; i < span->Slices; i++) _activeBytes -= span[i].CommittedBytes;
                FreeSpanLocked(region, start + slices, -extra);
            }
            else if (bytes > span->BlockSize)
            {
                if (extra > 0 && !TryTakeFollowingSlices(region, start + span->Slices, extra)) return false;
                if (!EnsureCommitted(region, start, bytes))
                {
                    if (extra > 0) FreeSpanLocked(region, start + span->Slices, extra);
                    return false;
                }
                for (int i = span->Slices; i < slices; i++)
                {
                    span[i].Head = span;
                    span[i].State = SliceState.Large;
                    span[i].Zeroed = false;
                    _activeBytes += span[i].CommittedBytes;
                }
                NotePeaks();
            }
            _largeAllocatedBytes += (long)bytes - (long)span->BlockSize;
            span->Slices = slices;
            span->BlockSize = bytes;
            _storageEpoch++; // a shrink within its slices leaves storage past the block that the walks at the limit can take
            return true;
        }
    }

    /// <summary>Takes <paramref name="count"/> slices starting at <paramref name="start"/> out of the free span that begins there (storage not yet reserved).</summary>
    private bool TryTakeFollowingSlices(Region region, int start, int count)
    {
        if (start >= region.SliceCount) return false;
        Page* next = region.Pages + start;
        if (next->State != SliceState.Free || next->Head != next || next->Slices < count) return false;
        RemoveSpan(next);
        int rest = next->Slices - count;
        if (rest > 0) MakeFreeSpan(region, start + count, rest, next->PurgeAt);
        return true;
    }

    /// <summary>Allocates <paramref name="size"/> zeroed bytes; null when the kind is full.</summary>
    public void* AllocZeroed(nuint size)
    {
        BeginTouchingBlocks();
        try
        {
            if (size > SizeClasses.SmallMax) return AllocLarge(size, 0, zeroed: true);
            void* p = Alloc(size);
            if (p != null) NativeMemory.Clear(p, size);
            return p;
        }
        finally
        {
            EndTouchingBlocks();
        }
    }
}
