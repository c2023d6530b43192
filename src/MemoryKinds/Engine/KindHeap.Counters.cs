namespace MemoryKinds.Engine;

// Counters (allocations, frees, peaks) and Trim: what a kind has done, and giving back now what the policy would give later.
internal sealed unsafe partial class KindHeap
{
    // Large blocks are allocated and freed under the lock; small ones are counted per thread heap (ThreadHeap.Allocations).
    private long _largeAllocations, _largeFrees;
    // Highest Active and Resident since the kind was made or the peaks were reset; both only grow under the lock.
    private long _peakActive, _peakCommitted;

    /// <summary>Raises the peaks to the current figures. Under the lock, after Active or Resident grew.</summary>
    private void NotePeaks()
    {
        if (_activeBytes > _peakActive) _peakActive = _activeBytes;
        if (_committedBytes > _peakCommitted) _peakCommitted = _committedBytes;
    }

    /// <summary>Allocations and frees so far, and the peaks of Active and Resident.</summary>
    /// <remarks>Summed over the thread heaps under the lock; the owners keep counting meanwhile, so the figures are exact only when no other thread allocates or frees.</remarks>
    public (long Allocations, long Frees, long PeakActive, long PeakResident) GetCounters()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            long allocations = _largeAllocations, frees = _largeFrees;
            for (ThreadHeap* heap = _heaps; heap != null; heap = heap->NextInKind)
            {
                allocations += Volatile.Read(ref heap->Allocations);
                frees += Volatile.Read(ref heap->Frees);
            }
            if (_shared != null)
            {
                allocations += _shared->Allocations;
                frees += _shared->Frees;
            }
            return (allocations, frees, _peakActive, _peakCommitted);
        }
    }

    /// <summary>Sets the peaks to the current Active and Resident.</summary>
    public void ResetPeaks()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            _peakActive = _activeBytes;
            _peakCommitted = _committedBytes;
        }
    }

    /// <summary>
    /// Gives back now what the policy would give back later: empty pages threads cache, the storage of free spans, and
    /// storage pages reserved ahead of their blocks. Returns the bytes of storage given back.
    /// </summary>
    public long Trim()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            long before = _committedBytes;
            ReclaimLocked(ThreadHeaps.Find(Slot, Uid));
            GiveBackIdleStorage();
            return before - _committedBytes;
        }
    }
}
