using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace MemoryKinds.AspNetCore;

/// <summary>
/// Makes ASP.NET Core memory pools (<see cref="IMemoryPoolFactory{T}"/>) whose 4 KiB blocks come from one
/// <see cref="MemoryKind"/>: the pools Kestrel's transports fill their connection pipes from. A timer gives idle blocks
/// back to the kind every <see cref="KindMemoryPoolOptions.EvictionInterval"/>. Thread-safe.
/// </summary>
/// <remarks>
/// Register it with <see cref="MemoryKindServiceCollectionExtensions.AddMemoryKindPools"/>, which also installs a socket
/// transport that can send these native buffers (Kestrel's own refuses them when it sends several at once). The
/// factory does not own the kind; the kind must outlive the server.
/// </remarks>
public sealed class KindMemoryPoolFactory : IMemoryPoolFactory<byte>, IDisposable
{
    /// <summary>The name of the meter that reports the pools' bytes: <c>MemoryKinds.AspNetCore</c>.</summary>
    public const string MeterName = "MemoryKinds.AspNetCore";

    private readonly MemoryKind _kind;
    private readonly ConcurrentDictionary<KindBlockPool, byte> _pools = new();
    private readonly ITimer _evictionTimer;
    private volatile bool _disposed;

    /// <summary>Makes a factory of pools over <paramref name="kind"/> that evict idle blocks every 10 seconds.</summary>
    /// <param name="kind">The kind the blocks come from.</param>
    public KindMemoryPoolFactory(MemoryKind kind) : this(kind, new KindMemoryPoolOptions()) { }

    /// <summary>Makes a factory of pools over <paramref name="kind"/> with the given settings.</summary>
    /// <param name="kind">The kind the blocks come from.</param>
    /// <param name="options">The eviction interval and clock.</param>
    /// <exception cref="ArgumentOutOfRangeException">The eviction interval is not positive.</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public KindMemoryPoolFactory(MemoryKind kind, KindMemoryPoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.TimeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.EvictionInterval, TimeSpan.Zero);
        ObjectDisposedException.ThrowIf(kind.IsDisposed, kind);
        _kind = kind;
        _evictionTimer = options.TimeProvider.CreateTimer(static state => ((KindMemoryPoolFactory)state!).EvictIdleBlocks(),
            this, options.EvictionInterval, options.EvictionInterval);
    }

    /// <summary>The kind the pools' blocks come from.</summary>
    public MemoryKind Kind => _kind;

    /// <summary>The pools made and not yet disposed.</summary>
    public IReadOnlyCollection<KindBlockPool> Pools => _pools.Keys.ToArray();

    /// <summary>Makes a pool of 4 KiB blocks of the kind.</summary>
    /// <param name="options">Who asks (<see cref="MemoryPoolOptions.Owner"/>, kept as <see cref="KindBlockPool.Owner"/> and as a metrics tag), or null.</param>
    /// <returns>A <see cref="KindBlockPool"/>; its creator disposes it.</returns>
    /// <exception cref="ObjectDisposedException">The factory is disposed.</exception>
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var pool = new KindBlockPool(_kind, options?.Owner);
        pool.Disposed += Forget;
        _pools.TryAdd(pool, 0);
        KindPoolMetrics.Track(pool);
        return pool;
    }

    /// <summary>Stops eviction and disposes the pools still alive, so their free blocks go back to the kind now.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _evictionTimer.Dispose();
        foreach (KindBlockPool pool in _pools.Keys) pool.Dispose();
    }

    private void EvictIdleBlocks()
    {
        foreach (KindBlockPool pool in _pools.Keys) pool.EvictIdleBlocks();
    }

    private void Forget(KindBlockPool pool)
    {
        _pools.TryRemove(pool, out _);
        KindPoolMetrics.Untrack(pool);
    }
}
