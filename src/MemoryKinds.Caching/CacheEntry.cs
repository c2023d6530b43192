using System.Runtime.InteropServices;

namespace MemoryKinds.Caching;

/// <summary>
/// The header of a cache entry. One block of the kind holds the header, then the key's UTF-8 bytes, then the value, so an
/// entry costs one allocation and no managed object.
/// </summary>
/// <remarks>
/// Ownership: <see cref="RefCount"/> is 1 for the link from the index plus 1 for each reader copying the value. Every
/// other field is written before the entry is linked or, after that, only under the lock of the segment that links it.
/// The block is freed by whichever thread drops the count to 0 (<see cref="Release"/>), which can only happen after the
/// entry was unlinked: the index's reference is the last one a linked entry can lose.
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CacheEntry
{
    /// <summary>The next entry of the same bucket.</summary>
    public CacheEntry* Next;
    /// <summary>UTC ticks at which the entry expires whatever its use; <see cref="EntryExpiration.Never"/> for none.</summary>
    public long AbsoluteExpiration;
    /// <summary>Ticks of sliding expiration (the entry expires that long after its last access); 0 for none.</summary>
    public long SlidingTicks;
    /// <summary>UTC ticks of the last set, get or refresh: the start of the sliding window.</summary>
    public long LastAccess;
    /// <summary>The hash of the key bytes (<see cref="CacheKey.Hash"/>).</summary>
    public int Hash;
    /// <summary>Bytes of the UTF-8 key that follows the header.</summary>
    public int KeyLength;
    /// <summary>Bytes of the value that follows the key.</summary>
    public int ValueLength;
    /// <summary>1 while linked in the index, plus 1 per reader between <see cref="AddReference"/> and <see cref="Release"/>.</summary>
    public int RefCount;
    /// <summary>
    /// The CLOCK count (a generalized reference bit): <see cref="SetRecency"/> when set, <see cref="ReadRecency"/> after
    /// every get or refresh, one less each time the eviction hand passes; the hand evicts the entry when it finds 0.
    /// </summary>
    public int Recency;
    private readonly int _alignment;

    /// <summary>
    /// The recency of a new entry: it survives one pass of the hand. Enough to keep the newest entries, and less than a read
    /// entry's, so that when the kind first fills (every entry met by the hand for the first time) values that were read
    /// outlast values that were only written.
    /// </summary>
    public const int SetRecency = 1;

    /// <summary>The recency of an entry just read: it survives three passes of the hand without another read.</summary>
    public const int ReadRecency = 3;

    /// <summary>The most value bytes an entry with a key of <paramref name="keyLength"/> bytes can have.</summary>
    public static long MaxValueLength(int keyLength) => int.MaxValue - sizeof(CacheEntry) - (long)keyLength;

    /// <summary>The block size of an entry: header, key and value.</summary>
    public static nuint SizeFor(int keyLength, int valueLength) => (nuint)(sizeof(CacheEntry) + (long)keyLength + valueLength);

    /// <summary>The block size of <paramref name="entry"/>.</summary>
    public static nuint SizeOf(CacheEntry* entry) => SizeFor(entry->KeyLength, entry->ValueLength);

    /// <summary>The key bytes of <paramref name="entry"/>.</summary>
    public static Span<byte> Key(CacheEntry* entry) => new(entry + 1, entry->KeyLength);

    /// <summary>The value bytes of <paramref name="entry"/>.</summary>
    public static Span<byte> Value(CacheEntry* entry) => new((byte*)(entry + 1) + entry->KeyLength, entry->ValueLength);

    /// <summary>Takes a reader's reference. Only under the segment lock, on an entry found linked (so the count is at least 1).</summary>
    public static void AddReference(CacheEntry* entry) => Interlocked.Increment(ref entry->RefCount);

    /// <summary>Drops a reference (a reader's, or the index's after unlinking) and frees the block when it was the last.</summary>
    public static void Release(MemoryKind kind, CacheEntry* entry)
    {
        if (Interlocked.Decrement(ref entry->RefCount) == 0) kind.Free(entry);
    }
}
