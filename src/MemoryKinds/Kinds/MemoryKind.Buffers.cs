namespace MemoryKinds;

// The safe surface: blocks as Memory<T>/Span<T> owners, and a MemoryPool<byte>.
public abstract unsafe partial class MemoryKind
{
    /// <summary>
    /// Allocates room for <paramref name="length"/> elements of <typeparamref name="T"/> and returns its owner, which
    /// exposes it as <see cref="Memory{T}"/> and <see cref="Span{T}"/> and frees it when disposed — no unsafe code needed.
    /// </summary>
    /// <typeparam name="T">An unmanaged element type.</typeparam>
    /// <param name="length">The number of elements; 0 gives an empty (but real, freeable) block.</param>
    /// <param name="zeroed">Whether to clear the memory; otherwise its contents are undefined (as with <see cref="Alloc"/>).</param>
    /// <returns>The owner of the block; see <see cref="KindMemoryOwner{T}"/> for the checks it makes on every access.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="OutOfMemoryException">The kind cannot give that much, including when <paramref name="length"/> ×
    /// <c>sizeof(T)</c> does not fit in the address space (only possible in a 32-bit process; the product of two
    /// <see cref="int"/> values always fits in 64 bits).</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public KindMemoryOwner<T> Allocate<T>(int length, bool zeroed = false) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ulong bytes = (ulong)(uint)length * (ulong)sizeof(T);
        if (bytes > nuint.MaxValue)
        {
            OnAllocationFailed();
            throw new OutOfMemoryException($"Memory kind '{Name}' cannot allocate {length} elements of {sizeof(T)} bytes: the size overflows.");
        }
        void* p = zeroed ? AllocZeroed((nuint)(uint)length, (nuint)sizeof(T)) : Alloc((nuint)bytes);
        try
        {
            return new KindMemoryOwner<T>(this, (T*)p, length);
        }
        catch
        {
            Free(p);
            throw;
        }
    }

    /// <summary>
    /// Creates a <see cref="System.Buffers.MemoryPool{T}"/> of bytes whose buffers are blocks of this kind (for example
    /// for <c>System.IO.Pipelines</c>: <c>new PipeOptions(pool: kind.CreateMemoryPool())</c>).
    /// </summary>
    /// <returns>A new pool; it does not own the kind (disposing the kind makes the pool and its buffers unusable).</returns>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public KindMemoryPool CreateMemoryPool()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return new KindMemoryPool(this);
    }
}
