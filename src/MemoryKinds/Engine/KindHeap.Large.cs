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
        int slices = (int)((Math.Max(size, 1) + SizeClasses.SliceSize - 1) >> SizeClasses.SliceShift);
        bool wasZero;
        byte* start;
        lock (_lock)
        {
            ThrowIfDisposed();
            Page* span = AllocSpanLocked(slices, alignment, out Region region);
            if (span == null)
            {
                ReclaimLocked(ThreadHeaps.Find(Slot, Uid));
                span = AllocSpanLocked(slices, alignment, out region);
                if (span == null) return null;
            }
            wasZero = InitializeSpan(region, span, slices, SliceState.Large);
            span->Owner = null;
            span->Bin = -1;
            span->BlockSize = (nuint)slices << SizeClasses.SliceShift;
            span->MaxBlocks = span->Capacity = span->Used = 1;
            *span->Bits |= 1;
            _largeAllocatedBytes += (long)span->BlockSize;
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
        FreePageLocked(span);
    }

    /// <summary>Shrinks a large block by giving its tail slices back, or grows it into a free span right after it. Under the lock.</summary>
    private bool TryResizeLargeInPlace(void* p, nuint size)
    {
        if (size > MaxRequest || (_limit > 0 && size > (ulong)_limit)) return false;
        int slices = (int)((size + SizeClasses.SliceSize - 1) >> SizeClasses.SliceShift);
        lock (_lock)
        {
            ThrowIfDisposed();
            Region region = RegionOf(p)!;
            Page* span = RequireLive(region, p);
            int start = (int)(span - region.Pages), extra = slices - span->Slices;
            if (extra < 0) FreeSpanLocked(region, start + slices, -extra);
            else if (extra > 0 && !TryTakeFollowingSlices(region, start + span->Slices, extra)) return false;
            for (int i = span->Slices; i < slices; i++)
            {
                span[i].Head = span;
                span[i].State = SliceState.Large;
                span[i].Zeroed = false;
            }
            long delta = (long)extra << SizeClasses.SliceShift;
            span->Slices = slices;
            span->BlockSize = (nuint)slices << SizeClasses.SliceShift;
            _activeBytes += delta;
            _largeAllocatedBytes += delta;
            return true;
        }
    }

    /// <summary>Takes <paramref name="count"/> committed slices starting at <paramref name="start"/> out of the free span that begins there.</summary>
    private bool TryTakeFollowingSlices(Region region, int start, int count)
    {
        if (start >= region.SliceCount) return false;
        Page* next = region.Pages + start;
        if (next->State != SliceState.Free || next->Head != next || next->Slices < count) return false;
        RemoveSpan(next);
        int rest = next->Slices - count;
        long purgeAt = next->PurgeAt;
        if (rest > 0) MakeFreeSpan(region, start + count, rest, purgeAt);
        if (EnsureCommitted(region, start, count)) return true;
        FreeSpanLocked(region, start, count);
        return false;
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
