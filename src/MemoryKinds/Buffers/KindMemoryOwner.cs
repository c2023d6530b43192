using System.Buffers;
using System.Runtime.CompilerServices;

namespace MemoryKinds;

/// <summary>
/// A block of a <see cref="MemoryKind"/> seen as <see cref="Memory{T}"/> and <see cref="Span{T}"/>: the owner returned by
/// <see cref="MemoryKind.Allocate{T}(int, bool)"/> and by <see cref="KindMemoryPool.Rent(int)"/>. Disposing it frees the
/// block; disposing it again does nothing.
/// </summary>
/// <remarks>
/// <para>Every access (<see cref="Memory"/>, <see cref="Span"/>, <see cref="GetSpan"/>, <see cref="Pin(int)"/>, and the
/// <see cref="Memory{T}.Span"/> of any <see cref="Memory{T}"/> taken from this owner) first checks that neither the owner
/// nor its kind is disposed and throws <see cref="ObjectDisposedException"/> if one is, so it never touches freed or
/// unmapped memory. A <see cref="Span{T}"/> obtained earlier is a raw view and cannot be checked: do not keep one across
/// a dispose. Disposing the kind on one thread while another thread is inside an access of its memory is a race in the
/// caller (as with any native memory), not something the check can catch.</para>
/// <para>The memory is not moved by the GC: pinning is free and <see cref="Unpin"/> does nothing. The block is 16-byte
/// aligned. An owner that is never disposed keeps its block until the kind is disposed (for
/// <see cref="MemoryKind.Default"/>, until the process ends): there is no finalizer.</para>
/// <para>Not thread-safe, except that <see cref="IDisposable.Dispose"/> may race with itself (the block is freed once).</para>
/// </remarks>
/// <typeparam name="T">An unmanaged element type.</typeparam>
public sealed unsafe class KindMemoryOwner<T> : MemoryManager<T> where T : unmanaged
{
    private readonly MemoryKind _kind;
    private readonly int _length;
    private nint _pointer;

    internal KindMemoryOwner(MemoryKind kind, T* pointer, int length)
    {
        _kind = kind;
        _pointer = (nint)pointer;
        _length = length;
    }

    /// <summary>The kind the block belongs to.</summary>
    public MemoryKind Kind => _kind;

    /// <summary>The number of elements (still readable after disposal).</summary>
    public int Length => _length;

    /// <summary>Whether the owner, or the kind that holds its block, has been disposed.</summary>
    public bool IsDisposed => _pointer == 0 || _kind.IsDisposed;

    /// <summary>The block as a span.</summary>
    /// <exception cref="ObjectDisposedException">The owner or its kind is disposed.</exception>
    public Span<T> Span => new(Pointer, _length);

    /// <summary>The block as memory; the <see cref="Memory{T}.Span"/> of it is checked again on every use.</summary>
    /// <exception cref="ObjectDisposedException">The owner or its kind is disposed.</exception>
    public override Memory<T> Memory
    {
        get
        {
            _ = Pointer;
            return CreateMemory(_length);
        }
    }

    /// <summary>The block as a span (what <see cref="Memory{T}.Span"/> calls).</summary>
    /// <exception cref="ObjectDisposedException">The owner or its kind is disposed.</exception>
    public override Span<T> GetSpan() => new(Pointer, _length);

    /// <summary>A handle to element <paramref name="elementIndex"/>; the memory never moves, so nothing is pinned.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="elementIndex"/> is negative or greater than <see cref="Length"/>.</exception>
    /// <exception cref="ObjectDisposedException">The owner or its kind is disposed.</exception>
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        T* p = Pointer;
        if ((uint)elementIndex > (uint)_length) throw new ArgumentOutOfRangeException(nameof(elementIndex), elementIndex, $"The index must be between 0 and the length {_length}.");
        return new MemoryHandle(p + elementIndex);
    }

    /// <summary>Does nothing: the memory is never moved.</summary>
    public override void Unpin() { }

    /// <summary>Frees the block; later calls do nothing (also when called concurrently), and nothing is freed when the kind is disposed already.</summary>
    public void Dispose() => ((IDisposable)this).Dispose();

    /// <summary>Frees the block (once, even if called concurrently); nothing to free when the kind is disposed already.</summary>
    protected override void Dispose(bool disposing)
    {
        nint p = Interlocked.Exchange(ref _pointer, 0);
        if (p == 0 || _kind.IsDisposed) return;
        try
        {
            _kind.Free((void*)p);
        }
        catch (ObjectDisposedException)
        {
            // The kind was disposed meanwhile: its memory is gone with it.
        }
    }

    /// <summary>The block's address, after the disposal checks.</summary>
    private T* Pointer
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            nint p = Volatile.Read(ref _pointer);
            if (p == 0 || _kind.IsDisposed) ThrowDisposed();
            return (T*)p;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowDisposed()
    {
        if (_pointer == 0) throw new ObjectDisposedException(GetType().Name, "The memory owner is disposed.");
        throw new ObjectDisposedException(_kind.Name, $"The memory kind '{_kind.Name}' that holds this memory is disposed.");
    }
}
