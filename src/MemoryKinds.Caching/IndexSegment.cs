namespace MemoryKinds.Caching;

/// <summary>
/// One lock's share of the index: a chained hash table whose bucket array and entries are blocks of the kind.
/// </summary>
/// <remarks>
/// Every member but <see cref="Count"/> and <see cref="Bytes"/> is called with <see cref="Gate"/> held. The chains are
/// read and written only under it, so a thread holding it sees every linked entry alive: an entry is freed only after
/// it is unlinked (under the gate) and its last reference is dropped (see <see cref="CacheEntry"/>).
/// </remarks>
internal sealed unsafe class IndexSegment
{
    private const int InitialBuckets = 8;

    private readonly MemoryKind _kind;
    private readonly int _hashShift;
    /// <summary>Null before the first insert, and again once <see cref="Close"/> has run.</summary>
    private CacheEntry** _buckets;
    private int _mask;
    private bool _closed;
    private long _count;
    private long _bytes;

    /// <summary>A segment of the index over <paramref name="kind"/>; bucket indexes use the hash bits above <paramref name="hashShift"/> (the lower ones chose the segment).</summary>
    public IndexSegment(MemoryKind kind, int hashShift)
    {
        _kind = kind;
        _hashShift = hashShift;
    }

    /// <summary>The lock that guards this segment's chains and the fields of its entries.</summary>
    public Lock Gate { get; } = new();

    /// <summary>Entries linked now (read without the gate: a snapshot).</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>Block bytes of the entries linked now (read without the gate: a snapshot).</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>The number of buckets (0 before the first insert); read without the gate, it is a snapshot.</summary>
    public int BucketCount => _buckets == null ? 0 : _mask + 1;

    /// <summary>Throws once the segment is closed (the cache disposed).</summary>
    public void ThrowIfClosed() => ObjectDisposedException.ThrowIf(_closed, typeof(KindDistributedCache));

    /// <summary>The linked entry with this key, or null.</summary>
    public CacheEntry* Find(int hash, ReadOnlySpan<byte> key)
    {
        ThrowIfClosed();
        if (_buckets == null) return null;
        for (CacheEntry* entry = _buckets[BucketOf(hash)]; entry != null; entry = entry->Next)
            if (entry->Hash == hash && CacheEntry.Key(entry).SequenceEqual(key)) return entry;
        return null;
    }

    /// <summary>Links <paramref name="entry"/> (its reference count 1 is the index's) in place of the entry with the same key, which is unlinked and returned (or null).</summary>
    public CacheEntry* Replace(CacheEntry* entry)
    {
        ThrowIfClosed();
        if (_buckets == null && !TryResize(InitialBuckets)) throw new InsufficientMemoryException($"The memory kind {_kind.Name} cannot hold the cache's index.");
        ReadOnlySpan<byte> key = CacheEntry.Key(entry);
        CacheEntry** link = &_buckets[BucketOf(entry->Hash)];
        CacheEntry* replaced = null;
        for (; *link != null; link = &(*link)->Next)
        {
            CacheEntry* candidate = *link;
            if (candidate->Hash == entry->Hash && CacheEntry.Key(candidate).SequenceEqual(key))
            {
                replaced = candidate;
                *link = candidate->Next;
                Account(candidate, -1);
                break;
            }
        }
        entry->Next = _buckets[BucketOf(entry->Hash)];
        _buckets[BucketOf(entry->Hash)] = entry;
        Account(entry, +1);
        // A load factor of 1 keeps chains short; a kind too full for a bigger array just keeps longer chains.
        if (_count > _mask + 1) TryResize((_mask + 1) * 2);
        return replaced;
    }

    /// <summary>Unlinks <paramref name="entry"/>, a linked entry of this segment found under the same hold of the gate, and drops the index's reference.</summary>
    public void Remove(CacheEntry* entry)
    {
        for (CacheEntry** link = &_buckets[BucketOf(entry->Hash)]; *link != null; link = &(*link)->Next)
        {
            if (*link != entry) continue;
            *link = entry->Next;
            Account(entry, -1);
            CacheEntry.Release(_kind, entry);
            return;
        }
    }

    /// <summary>Removes from bucket <paramref name="bucket"/> (modulo the bucket count) what <paramref name="mode"/> says.</summary>
    public SweepResult Sweep(uint bucket, long now, SweepMode mode)
    {
        SweepResult result = default;
        if (_buckets == null) return result;
        CacheEntry** link = &_buckets[bucket & (uint)_mask];
        while (*link != null)
        {
            CacheEntry* entry = *link;
            bool expired = EntryExpiration.IsExpired(entry, now);
            bool victim = expired || mode == SweepMode.Everything || (mode == SweepMode.Clock && entry->Recency == 0);
            if (!victim)
            {
                if (mode == SweepMode.Clock) entry->Recency--;
                link = &entry->Next;
                continue;
            }
            *link = entry->Next;
            result = result.Add(expired, (long)CacheEntry.SizeOf(entry));
            Account(entry, -1);
            CacheEntry.Release(_kind, entry);
        }
        return result;
    }

    /// <summary>Unlinks every entry, drops the index's references and frees the bucket array; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Close()
    {
        if (_closed) return;
        _closed = true;
        if (_buckets == null) return;
        // A disposed kind has already unmapped every block: there is nothing left to free or to read.
        if (!_kind.IsDisposed)
        {
            for (int bucket = 0; bucket <= _mask; bucket++)
            {
                for (CacheEntry* entry = _buckets[bucket], next; entry != null; entry = next)
                {
                    next = entry->Next;
                    CacheEntry.Release(_kind, entry);
                }
            }
            _kind.Free(_buckets);
        }
        _buckets = null;
        Volatile.Write(ref _count, 0);
        Volatile.Write(ref _bytes, 0);
    }

    private uint BucketOf(int hash) => ((uint)hash >> _hashShift) & (uint)_mask;

    private void Account(CacheEntry* entry, int sign)
    {
        Volatile.Write(ref _count, _count + sign);
        Volatile.Write(ref _bytes, _bytes + sign * (long)CacheEntry.SizeOf(entry));
    }

    /// <summary>Moves every entry to a new bucket array of <paramref name="buckets"/> (a power of two); false if the kind cannot give it.</summary>
    private bool TryResize(int buckets)
    {
        var resized = (CacheEntry**)_kind.TryAllocZeroed((nuint)buckets, (nuint)sizeof(CacheEntry*));
        if (resized == null) return false;
        CacheEntry** old = _buckets;
        int oldCount = BucketCount;
        _buckets = resized;
        _mask = buckets - 1;
        for (int bucket = 0; bucket < oldCount; bucket++)
        {
            for (CacheEntry* entry = old[bucket], next; entry != null; entry = next)
            {
                next = entry->Next;
                CacheEntry** head = &_buckets[BucketOf(entry->Hash)];
                entry->Next = *head;
                *head = entry;
            }
        }
        if (old != null) _kind.Free(old);
        return true;
    }
}
