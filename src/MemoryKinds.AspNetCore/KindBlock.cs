using System.Buffers;

namespace MemoryKinds.AspNetCore;

/// <summary>
/// One fixed-size block of a <see cref="KindBlockPool"/>: native memory of the pool's kind, seen as <see cref="Memory{T}"/>.
/// It is its own <see cref="IMemoryOwner{T}"/>: disposing it hands the block back to the pool, once per rent.
/// </summary>
internal sealed unsafe class KindBlock : MemoryManager<byte>
{
    private readonly KindBlockPool _pool;
    private readonly byte* _pointer;
    private int _rented;

    public KindBlock(KindBlockPool pool, byte* pointer)
    {
        _pool = pool;
        _pointer = pointer;
    }

    public byte* Pointer => _pointer;

    /// <summary>Marks the block rented; the pool calls it before handing the block out.</summary>
    public void MarkRented() => Volatile.Write(ref _rented, 1);

    // Pipelines call this for every Span they take, so it is the place to refuse a kind that has been disposed:
    // touching the memory of a destroyed kind would be an access violation, not an exception.
    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_pool.Kind.IsDisposed, _pool.Kind);
        return new Span<byte>(_pointer, KindBlockPool.BlockSize);
    }

    // The memory is native and never moves: nothing to pin.
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, KindBlockPool.BlockSize);
        ObjectDisposedException.ThrowIf(_pool.Kind.IsDisposed, _pool.Kind);
        return new MemoryHandle(_pointer + elementIndex);
    }

    public override void Unpin() { }

    // A second dispose of the same rent would put the block in the pool twice and hand it to two owners; the flag makes it a no-op.
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _rented, 0) == 1) _pool.Return(this);
    }
}
