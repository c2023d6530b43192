using System.Buffers;
using System.Collections.Concurrent;

namespace MemoryKinds.AspNetCore;

/// <summary>
/// A <see cref="MemoryPool{T}"/> of fixed 4 KiB blocks of a <see cref="MemoryKind"/>, made by
/// <see cref="KindMemoryPoolFactory.Create"/>. Returned blocks are kept for the next rent; blocks that sat unused for a
/// whole eviction interval are given back to the kind by the factory's timer. Thread-safe.
/// </summary>
/// <remarks>
/// Like ASP.NET Core's own pool, it serves only its block size: <see cref="Rent(int)"/> of more than
/// <see cref="BlockSize"/> throws, and System.IO.Pipelines then takes such a segment from elsewhere. Disposing the pool
/// gives its free blocks back to the kind; blocks still rented are given back when their owners are disposed.
/// </remarks>
public sealed unsafe class KindBlockPool : MemoryPool<byte>
{
    /// <summary>The size of every block: 4096 bytes, one page.</summary>
    public const int BlockSize = 4096;

    private readonly MemoryKind _kind;
    private readonly string? _owner;
    private readonly ConcurrentQueue<KindBlock> _free = new();
    private int _pooledBlocks;
    private int _allocatedBlocks;
    private int _idleLowWater;
    private long _rentedBytes;
    private long _evictedBytes;
    private volatile bool _disposed;

    internal KindBlockPool(MemoryKind kind, string? owner)
    {
        _kind = kind;
        _owner = owner;
    }

    internal event Action<KindBlockPool>? Disposed;

    /// <summary>The kind the blocks come from.</summary>
    public MemoryKind Kind => _kind;

    /// <summary>Who asked for the pool (<c>MemoryPoolOptions.Owner</c>, such as "kestrel"), or null.</summary>
    public string? Owner => _owner;

    /// <summary>Always <see cref="BlockSize"/>.</summary>
    public override int MaxBufferSize => BlockSize;

    /// <summary>Blocks held from the kind now: rented ones and free ones in the pool.</summary>
    public int AllocatedBlocks => Volatile.Read(ref _allocatedBlocks);

    /// <summary>Free blocks in the pool now, waiting for a rent or for eviction.</summary>
    public int PooledBlocks => Volatile.Read(ref _pooledBlocks);

    /// <summary>Bytes handed out by <see cref="Rent(int)"/> since the pool was made.</summary>
    public long RentedBytes => Interlocked.Read(ref _rentedBytes);

    /// <summary>Bytes of idle blocks given back to the kind by eviction since the pool was made.</summary>
    public long EvictedBytes => Interlocked.Read(ref _evictedBytes);

    /// <summary>Whether the pool is disposed.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Rents a block: a free one from the pool, or a new one from the kind.</summary>
    /// <param name="minBufferSize">At most <see cref="BlockSize"/>; -1 or any smaller value gives a whole block.</param>
    /// <returns>The block; dispose it to hand it back.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minBufferSize"/> is above <see cref="BlockSize"/>.</exception>
    /// <exception cref="OutOfMemoryException">The pool is empty and the kind cannot give another block.</exception>
    /// <exception cref="ObjectDisposedException">The pool or its kind is disposed.</exception>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        ObjectDisposedException.ThrowIf(_disposed, this);
        KindBlock block = TakeFree() ?? AllocateBlock();
        block.MarkRented();
        Interlocked.Add(ref _rentedBytes, BlockSize);
        return block;
    }

    /// <summary>Disposes the pool; free blocks go back to the kind now, rented ones when they are returned.</summary>
    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        FreeBlocks(int.MaxValue);
        Disposed?.Invoke(this);
    }

    /// <summary>
    /// Gives back half (rounded up) of the blocks that stayed free throughout the interval since the last call: those
    /// were not needed even at the interval's busiest moment. A steady load keeps what it uses; an idle pool halves each
    /// interval down to nothing. Called by the factory's timer.
    /// </summary>
    internal void EvictIdleBlocks()
    {
        int idle = Volatile.Read(ref _idleLowWater);
        int evicted = FreeBlocks((idle + 1) / 2);
        Interlocked.Add(ref _evictedBytes, (long)evicted * BlockSize);
        // What is left now is the starting point of the next interval's low-water mark.
        Volatile.Write(ref _idleLowWater, PooledBlocks);
    }

    internal void Return(KindBlock block)
    {
        if (_disposed)
        {
            FreeBlock(block);
            return;
        }
        // Counted before it can be taken, so the count never drops below zero.
        Interlocked.Increment(ref _pooledBlocks);
        _free.Enqueue(block);
        // The pool may have been disposed between the check and the enqueue: drain again so no block is stranded.
        if (_disposed) FreeBlocks(int.MaxValue);
    }

    private KindBlock? TakeFree()
    {
        if (!_free.TryDequeue(out KindBlock? block))
        {
            Volatile.Write(ref _idleLowWater, 0);
            return null;
        }
        int left = Interlocked.Decrement(ref _pooledBlocks);
        int lowWater;
        while (left < (lowWater = Volatile.Read(ref _idleLowWater)) && Interlocked.CompareExchange(ref _idleLowWater, left, lowWater) != lowWater) { }
        return block;
    }

    private KindBlock AllocateBlock()
    {
        byte* pointer = (byte*)_kind.Alloc(BlockSize);
        Interlocked.Increment(ref _allocatedBlocks);
        return new KindBlock(this, pointer);
    }

    private int FreeBlocks(int count)
    {
        int freed = 0;
        while (freed < count && _free.TryDequeue(out KindBlock? block))
        {
            Interlocked.Decrement(ref _pooledBlocks);
            FreeBlock(block);
            freed++;
        }
        return freed;
    }

    private void FreeBlock(KindBlock block)
    {
        Interlocked.Decrement(ref _allocatedBlocks);
        if (_kind.IsDisposed) return;
        try
        {
            _kind.Free(block.Pointer);
        }
        catch (ObjectDisposedException)
        {
            // The kind was disposed meanwhile; its memory went with it.
        }
    }

    /// <summary>The pool's owner, kind and block counts.</summary>
    public override string ToString() =>
        $"{nameof(KindBlockPool)} '{_owner}' over {_kind.Name}: {AllocatedBlocks} blocks allocated, {PooledBlocks} free";
}
