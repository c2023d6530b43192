namespace MemoryKinds.Caching;

/// <summary>
/// The cache's index: <see cref="SegmentCount"/> segments, each a hash table under its own lock, chosen by the low bits of
/// the key's hash. Entries and bucket arrays are blocks of the kind; the only managed objects are the segments and their
/// locks, however many entries there are.
/// </summary>
/// <remarks>
/// Memory safety: a thread touches an entry only while it holds the entry's segment lock, or while it holds a reference
/// taken under that lock (<see cref="Acquire"/> to <see cref="Release"/>). Removal unlinks under the lock and drops the
/// index's reference; the block is freed when the last reference goes, so a reader copying a value outside the lock
/// never reads freed memory, however the entry was removed (replaced, removed, expired, evicted or disposed).
/// </remarks>
internal sealed unsafe partial class EntryTable
{
    /// <summary>Segments (a power of two): enough that two threads rarely want the same lock, few enough to be nothing on the GC heap.</summary>
    public const int SegmentCount = 128;
    private const int SegmentBits = 7;

    private readonly MemoryKind _kind;
    private readonly CacheMetrics _metrics;
    private readonly IndexSegment[] _segments = new IndexSegment[SegmentCount];

    /// <summary>An empty index whose entries are blocks of <paramref name="kind"/>; removals are counted on <paramref name="metrics"/>.</summary>
    public EntryTable(MemoryKind kind, CacheMetrics metrics)
    {
        _kind = kind;
        _metrics = metrics;
        for (int i = 0; i < SegmentCount; i++) _segments[i] = new IndexSegment(kind, SegmentBits);
    }

    /// <summary>Entries linked now.</summary>
    public long Count
    {
        get
        {
            long count = 0;
            foreach (IndexSegment segment in _segments) count += segment.Count;
            return count;
        }
    }

    /// <summary>Block bytes (headers, keys and values) of the entries linked now.</summary>
    public long Bytes
    {
        get
        {
            long bytes = 0;
            foreach (IndexSegment segment in _segments) bytes += segment.Bytes;
            return bytes;
        }
    }

    /// <summary>
    /// The live entry with this key, with a reader's reference the caller must give back with <see cref="Release"/>; or
    /// null. A hit counts as a use: it raises the entry's recency and restarts the sliding window. An expired entry is removed.
    /// </summary>
    public CacheEntry* Acquire(in CacheKey key, long now)
    {
        IndexSegment segment = SegmentOf(key.Hash);
        lock (segment.Gate)
        {
            CacheEntry* entry = FindLive(segment, key, now);
            if (entry == null) return null;
            CacheEntry.AddReference(entry);
            return entry;
        }
    }

    /// <summary>Gives back a reference from <see cref="Acquire"/>.</summary>
    public void Release(CacheEntry* entry) => CacheEntry.Release(_kind, entry);

    /// <summary>Restarts the sliding window of the live entry with this key; false when there is none.</summary>
    public bool Touch(in CacheKey key, long now)
    {
        IndexSegment segment = SegmentOf(key.Hash);
        lock (segment.Gate) return FindLive(segment, key, now) != null;
    }

    /// <summary>Links a new entry (reference count 1, the index's), replacing the entry with the same key.</summary>
    /// <exception cref="ObjectDisposedException">The cache is disposed; the entry is freed.</exception>
    public void Insert(CacheEntry* entry)
    {
        IndexSegment segment = SegmentOf(entry->Hash);
        CacheEntry* replaced;
        lock (segment.Gate)
        {
            try
            {
                replaced = segment.Replace(entry);
            }
            catch
            {
                CacheEntry.Release(_kind, entry);
                throw;
            }
        }
        if (replaced != null) CacheEntry.Release(_kind, replaced);
    }

    /// <summary>Removes the entry with this key; false when there was none.</summary>
    public bool Remove(in CacheKey key)
    {
        IndexSegment segment = SegmentOf(key.Hash);
        lock (segment.Gate)
        {
            CacheEntry* entry = segment.Find(key.Hash, key.Bytes);
            if (entry == null) return false;
            segment.Remove(entry);
            return true;
        }
    }

    /// <summary>Removes every entry and frees the index; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Close()
    {
        foreach (IndexSegment segment in _segments)
            lock (segment.Gate) segment.Close();
    }

    /// <summary>The entry with this key, touched; null when there is none or it has expired (then it is removed).</summary>
    private CacheEntry* FindLive(IndexSegment segment, in CacheKey key, long now)
    {
        CacheEntry* entry = segment.Find(key.Hash, key.Bytes);
        if (entry == null) return null;
        if (EntryExpiration.IsExpired(entry, now))
        {
            segment.Remove(entry);
            _metrics.RecordRemoved(new SweepResult(0, 1, 0));
            return null;
        }
        entry->Recency = CacheEntry.ReadRecency;
        entry->LastAccess = now;
        return entry;
    }

    private IndexSegment SegmentOf(int hash) => _segments[hash & (SegmentCount - 1)];
}
