using System.Buffers;

namespace MemoryKinds;

/// <summary>
/// A <see cref="MemoryPool{T}"/> of bytes whose buffers are blocks of a <see cref="MemoryKind"/>; made by
/// <see cref="MemoryKind.CreateMemoryPool"/>. Suits <c>System.IO.Pipelines</c> (<c>new PipeOptions(pool: kind.CreateMemoryPool())</c>)
/// and any code written against <see cref="MemoryPool{T}"/>. Thread-safe.
/// </summary>
/// <remarks>
/// Each <see cref="Rent(int)"/> allocates a block from the kind and each disposal of the returned owner frees it: the kind's
/// own per-thread caches do the pooling. A rented buffer is at least the size asked for (its <see cref="Memory{T}.Length"/>
/// is the block's usable size, up to <see cref="MaxBufferSize"/>) and its contents are undefined. Disposing the pool stops
/// further rents; buffers already rented stay valid until they or the kind are disposed. The pool does not own the kind.
/// </remarks>
public sealed unsafe class KindMemoryPool : MemoryPool<byte>
{
    /// <summary>The size of a buffer rented with no size (<c>Rent()</c> or <c>Rent(-1)</c>): 4 KiB.</summary>
    public const int DefaultBufferSize = 4096;

    private readonly MemoryKind _kind;
    private readonly int _maxBufferSize;
    private volatile bool _disposed;

    internal KindMemoryPool(MemoryKind kind)
    {
        _kind = kind;
        long capacity = kind.Capacity;
        _maxBufferSize = capacity > 0 && capacity < int.MaxValue ? (int)capacity : int.MaxValue;
    }

    /// <summary>The kind the buffers come from.</summary>
    public MemoryKind Kind => _kind;

    /// <summary>The largest buffer the pool rents: <see cref="int.MaxValue"/>, or the kind's <see cref="MemoryKind.Capacity"/> when that is smaller (read when the pool was made).</summary>
    public override int MaxBufferSize => _maxBufferSize;

    /// <summary>Allocates a buffer of at least <paramref name="minBufferSize"/> bytes from the kind.</summary>
    /// <param name="minBufferSize">The least size, or -1 for <see cref="DefaultBufferSize"/>.</param>
    /// <returns>The owner of the buffer; dispose it to give the block back to the kind.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minBufferSize"/> is below -1 or above <see cref="MaxBufferSize"/>.</exception>
    /// <exception cref="OutOfMemoryException">The kind cannot give that much now.</exception>
    /// <exception cref="ObjectDisposedException">The pool or the kind is disposed.</exception>
    public override KindMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (minBufferSize == -1) minBufferSize = DefaultBufferSize;
        else if (minBufferSize < 0 || minBufferSize > _maxBufferSize)
            throw new ArgumentOutOfRangeException(nameof(minBufferSize), minBufferSize, $"The size must be -1 or between 0 and {_maxBufferSize}.");
        byte* p = (byte*)_kind.Alloc((nuint)minBufferSize);
        try
        {
            nuint usable = _kind.GetUsableSize(p);
            int length = (int)Math.Min(usable, (nuint)_maxBufferSize);
            return new KindMemoryOwner<byte>(_kind, p, length);
        }
        catch
        {
            _kind.Free(p);
            throw;
        }
    }

    /// <summary>Stops further rents; rented buffers stay valid.</summary>
    protected override void Dispose(bool disposing) => _disposed = true;

    /// <summary>The kind's description.</summary>
    public override string ToString() => $"{nameof(KindMemoryPool)} over {_kind}";
}
