using System.Buffers;
using System.Text;
using Microsoft.Extensions.Caching.Distributed;

namespace MemoryKinds.Caching;

/// <summary>
/// A distributed cache (in this process) whose values and index live in a <see cref="MemoryKind"/>: a memory-mapped file
/// on pmem, CXL, tmpfs or disk, or DRAM. A million entries are a million blocks of the kind and no managed objects.
/// </summary>
/// <remarks>
/// <para>Expiration follows <see cref="DistributedCacheEntryOptions"/>: absolute (the earlier of
/// <see cref="DistributedCacheEntryOptions.AbsoluteExpiration"/> and now plus
/// <see cref="DistributedCacheEntryOptions.AbsoluteExpirationRelativeToNow"/> when both are given) and sliding
/// (<see cref="DistributedCacheEntryOptions.SlidingExpiration"/>, restarted by every get and refresh, never past the
/// absolute expiration). Options with neither never expire.</para>
/// <para>When the kind is full, entries not used recently are evicted (CLOCK, an approximation of least recently used)
/// until the new entry fits, so a set fails for lack of space only when the entry cannot fit in the emptied cache.</para>
/// <para>All members are thread-safe. A get holds one of 128 striped locks while it looks the key up, and copies the value
/// after releasing it, protected by the entry's reference count.</para>
/// </remarks>
public sealed unsafe class KindDistributedCache : IBufferDistributedCache, IDisposable
{
    private readonly MemoryKind _kind;
    /// <summary>The kind's capacity when the cache was made: read once, as a DRAM kind's asks the GC for the memory available, and allocates doing so.</summary>
    private readonly long _capacity;
    private readonly TimeProvider _time;
    private readonly EntryTable _table;
    private readonly ExpirationScanner _scanner;
    private int _disposed;

    /// <summary>A cache whose entries and index live in <paramref name="kind"/>, with default settings.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="kind"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="kind"/> is disposed.</exception>
    public KindDistributedCache(MemoryKind kind) : this(new KindDistributedCacheOptions(kind)) { }

    /// <summary>A cache with the given settings.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The options' kind is disposed.</exception>
    public KindDistributedCache(KindDistributedCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(options.Kind.IsDisposed, options.Kind);
        _kind = options.Kind;
        _capacity = _kind.Capacity;
        _time = options.TimeProvider;
        Name = options.Name;
        Metrics = new CacheMetrics(Name, _kind.Name);
        _table = new EntryTable(_kind, Metrics);
        _scanner = new ExpirationScanner(_table, _time, options.ExpirationScanFrequency);
        CacheMetrics.Track(this);
    }

    /// <summary>The kind that holds the entries and the index.</summary>
    public MemoryKind Kind => _kind;

    /// <summary>The name the cache's instruments are tagged with (<see cref="KindDistributedCacheOptions.Name"/>).</summary>
    public string Name { get; }

    /// <summary>Entries in the cache now, expired ones not yet removed included.</summary>
    public long Count => _table.Count;

    /// <summary>Bytes of the cache's blocks of entries in the kind (headers, UTF-8 keys and values), bucket arrays excluded.</summary>
    public long Bytes => _table.Bytes;

    internal CacheMetrics Metrics { get; }

    /// <inheritdoc/>
    public byte[]? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> stack = stackalloc byte[CacheKey.StackBytes];
        using var cacheKey = new CacheKey(key, stack);
        CacheEntry* entry = Acquire(cacheKey);
        if (entry == null) return null;
        try
        {
            ReadOnlySpan<byte> value = CacheEntry.Value(entry);
            byte[] copy = GC.AllocateUninitializedArray<byte>(value.Length); // every byte is written just below
            value.CopyTo(copy);
            return copy;
        }
        finally
        {
            _table.Release(entry);
        }
    }

    /// <inheritdoc/>
    public Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        token.ThrowIfCancellationRequested();
        return Task.FromResult(Get(key));
    }

    /// <inheritdoc/>
    public bool TryGet(string key, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(destination);
        Span<byte> stack = stackalloc byte[CacheKey.StackBytes];
        using var cacheKey = new CacheKey(key, stack);
        CacheEntry* entry = Acquire(cacheKey);
        if (entry == null) return false;
        try
        {
            // No lock is held here, so the writer may do anything, calls into this cache included.
            ReadOnlySpan<byte> value = CacheEntry.Value(entry);
            value.CopyTo(destination.GetSpan(value.Length));
            destination.Advance(value.Length);
            return true;
        }
        finally
        {
            _table.Release(entry);
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default)
    {
        token.ThrowIfCancellationRequested();
        return ValueTask.FromResult(TryGet(key, destination));
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The entry is larger than the kind.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The absolute expiration is not in the future.</exception>
    /// <exception cref="InsufficientMemoryException">The entry does not fit in the kind even with the cache empty.</exception>
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        ArgumentNullException.ThrowIfNull(value);
        Set(key, new ReadOnlySequence<byte>(value), options);
    }

    /// <inheritdoc/>
    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        token.ThrowIfCancellationRequested();
        Set(key, value, options);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The entry is larger than the kind.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The absolute expiration is not in the future, or the value is 2 GiB or more.</exception>
    /// <exception cref="InsufficientMemoryException">The entry does not fit in the kind even with the cache empty.</exception>
    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfDisposed();
        long now = Now();
        (long absolute, long sliding) = EntryExpiration.From(options, now);
        int keyLength = Encoding.UTF8.GetByteCount(key);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value.Length, CacheEntry.MaxValueLength(keyLength), nameof(value));
        nuint size = CacheEntry.SizeFor(keyLength, (int)value.Length);
        if ((ulong)size > (ulong)_capacity)
            throw new ArgumentException($"The cache entry for this key needs {size} bytes, more than the {_capacity} bytes the memory kind {_kind.Name} can hold.", nameof(value));

        CacheEntry* entry = _table.Allocate(size, now);
        entry->Next = null;
        entry->AbsoluteExpiration = absolute;
        entry->SlidingTicks = sliding;
        entry->LastAccess = now;
        entry->KeyLength = keyLength;
        entry->ValueLength = (int)value.Length;
        entry->RefCount = 1;
        entry->Recency = CacheEntry.SetRecency;
        Encoding.UTF8.GetBytes(key, CacheEntry.Key(entry));
        entry->Hash = CacheKey.HashOf(CacheEntry.Key(entry));
        value.CopyTo(CacheEntry.Value(entry));
        // Until here only this thread knows the block; linking it (under the segment lock) publishes every field above.
        _table.Insert(entry);
        _scanner.ScanIfDue(now);
    }

    /// <inheritdoc/>
    public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        token.ThrowIfCancellationRequested();
        Set(key, value, options);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public void Refresh(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        ThrowIfDisposed();
        Span<byte> stack = stackalloc byte[CacheKey.StackBytes];
        using var cacheKey = new CacheKey(key, stack);
        long now = Now();
        _table.Touch(cacheKey, now);
        _scanner.ScanIfDue(now);
    }

    /// <inheritdoc/>
    public Task RefreshAsync(string key, CancellationToken token = default)
    {
        token.ThrowIfCancellationRequested();
        Refresh(key);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public void Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        ThrowIfDisposed();
        Span<byte> stack = stackalloc byte[CacheKey.StackBytes];
        using var cacheKey = new CacheKey(key, stack);
        _table.Remove(cacheKey);
    }

    /// <inheritdoc/>
    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        token.ThrowIfCancellationRequested();
        Remove(key);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Removes every entry and frees the index, giving the kind back all the cache took (values being copied by other
    /// threads are freed when their copy ends). Later calls throw <see cref="ObjectDisposedException"/>. Idempotent.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        CacheMetrics.Untrack(this);
        _table.Close();
    }

    /// <summary>The live entry with this key and a reader's reference to it, or null; counts the hit or miss.</summary>
    private CacheEntry* Acquire(in CacheKey key)
    {
        ThrowIfDisposed();
        long now = Now();
        CacheEntry* entry = _table.Acquire(key, now);
        if (entry == null) Metrics.RecordMiss();
        else Metrics.RecordHit();
        _scanner.ScanIfDue(now);
        return entry;
    }

    private long Now() => _time.GetUtcNow().UtcTicks;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
