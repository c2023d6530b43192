namespace MemoryKinds.Caching;

/// <summary>
/// Making room: entry blocks are allocated from the kind, and when it is full a CLOCK hand evicts entries not used
/// recently (an approximation of least recently used that needs no list to update on every get: a get only raises the
/// entry's <see cref="CacheEntry.Recency"/> under the segment lock it already holds, and the hand lowers it). Expired
/// entries the hand meets go whatever their recency.
/// </summary>
internal sealed unsafe partial class EntryTable
{
    /// <summary>
    /// The CLOCK hand: its low <see cref="SegmentBits"/> bits pick the segment and the rest the bucket, so consecutive
    /// steps visit every segment's bucket 0, then every bucket 1, and so on, one segment lock at a time.
    /// </summary>
    private long _hand;

    /// <summary>
    /// Allocates an entry block of <paramref name="size"/> bytes, evicting until the kind can give it. Call with no segment
    /// lock held: eviction takes them one at a time.
    /// </summary>
    /// <exception cref="InsufficientMemoryException">The kind cannot give the block even with the cache empty.</exception>
    public CacheEntry* Allocate(nuint size, long now)
    {
        void* block;
        while ((block = _kind.TryAlloc(size)) == null)
        {
            if (Count == 0)
                throw new InsufficientMemoryException(
                    $"The memory kind {_kind.Name} cannot give a cache entry of {size} bytes even with the cache empty ({_kind.GetStats()}).");
            EvictAtLeast((long)size, now);
        }
        return (CacheEntry*)block;
    }

    /// <summary>Removes every expired entry (the periodic scan).</summary>
    public void RemoveExpired(long now)
    {
        SweepResult removed = default;
        foreach (IndexSegment segment in _segments)
        {
            lock (segment.Gate)
            {
                for (uint bucket = 0; bucket < segment.BucketCount; bucket++) removed = removed.Add(segment.Sweep(bucket, now, SweepMode.Expired));
            }
        }
        _metrics.RecordRemoved(removed);
    }

    /// <summary>
    /// Moves the hand until it has freed <paramref name="bytes"/> (the block wanted; the allocator may need more, then the
    /// caller comes back), or the cache is empty. <see cref="CacheEntry.ReadRecency"/> + 1 turns of the hand evict every
    /// entry not read in between; past that, entries read all the time would keep the cache from ever making room, so
    /// the hand then evicts whatever it meets.
    /// </summary>
    private void EvictAtLeast(long bytes, long now)
    {
        SweepResult removed = default;
        long clockSteps = (CacheEntry.ReadRecency + 1L) * SegmentCount * LargestBucketCount();
        for (long step = 0; removed.Bytes < bytes && Count != 0; step++)
        {
            ulong hand = (ulong)Interlocked.Increment(ref _hand);
            IndexSegment segment = _segments[(int)(hand & (SegmentCount - 1))];
            SweepMode mode = step < clockSteps ? SweepMode.Clock : SweepMode.Everything;
            lock (segment.Gate) removed = removed.Add(segment.Sweep((uint)(hand >> SegmentBits), now, mode));
        }
        _metrics.RecordRemoved(removed);
    }

    /// <summary>The most buckets a segment has: a turn of the hand is that many steps a segment.</summary>
    private int LargestBucketCount()
    {
        int largest = 1;
        foreach (IndexSegment segment in _segments) largest = Math.Max(largest, segment.BucketCount);
        return largest;
    }
}
