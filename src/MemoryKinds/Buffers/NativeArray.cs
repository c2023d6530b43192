using System.Collections;
using System.Runtime.CompilerServices;

namespace MemoryKinds;

/// <summary>
/// A fixed-length array of unmanaged values in a <see cref="MemoryKind"/> (by default <see cref="MemoryKind.Default"/>):
/// the counterpart, with <see cref="NativeList{T}"/>, of memkind's C++ <c>pmem::allocator</c>. Bounds-checked, enumerable,
/// viewable as a <see cref="Span{T}"/>; <see cref="Dispose"/> frees it.
/// </summary>
/// <remarks>
/// <para>An array may hold more than <see cref="int.MaxValue"/> elements (one block of the kind): use
/// <see cref="LongLength"/>, the <see cref="long"/> indexer and <see cref="AsSpan(long, int)"/> for those. Members that
/// can only express an <see cref="int"/> count (<see cref="Length"/>, <see cref="Span"/>, <see cref="AsSpan()"/>,
/// <see cref="ToArray"/>) throw <see cref="OverflowException"/> on such an array, as <see cref="Array.Length"/> does.</para>
/// <para>
/// Every member checks that neither the array nor its kind is disposed (<see cref="ObjectDisposedException"/>), so the
/// array never touches freed or unmapped memory; spans and <c>ref</c>s taken earlier are raw views and cannot be checked.
/// Disposing the kind while another thread is using the array is a race in the caller. Not thread-safe. An array that is
/// never disposed keeps its block until the kind is disposed (there is no finalizer).</para>
/// </remarks>
/// <typeparam name="T">An unmanaged element type.</typeparam>
public sealed unsafe class NativeArray<T> : IDisposable, IEnumerable<T> where T : unmanaged
{
    private readonly MemoryKind _kind;
    private readonly long _length;
    private T* _items;
    private bool _disposed;

    /// <summary>Allocates an array of <paramref name="length"/> zeroed elements in <paramref name="kind"/>.</summary>
    /// <param name="length">The number of elements.</param>
    /// <param name="kind">The kind to allocate from; null for <see cref="MemoryKind.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="OutOfMemoryException">The kind cannot give that much.</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public NativeArray(int length, MemoryKind? kind = null) : this((long)length, kind) { }

    /// <summary>Allocates an array of <paramref name="length"/> zeroed elements in <paramref name="kind"/>; the length may exceed <see cref="int.MaxValue"/>.</summary>
    /// <param name="length">The number of elements.</param>
    /// <param name="kind">The kind to allocate from; null for <see cref="MemoryKind.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="OutOfMemoryException">The kind cannot give that much, or the size does not fit in the address space.</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public NativeArray(long length, MemoryKind? kind = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _kind = kind ?? MemoryKind.Default;
        _length = length;
        _items = (T*)_kind.AllocZeroed(NativeList<T>.ByteCount(length), 1);
    }

    /// <summary>Allocates an array in <paramref name="kind"/> holding a copy of <paramref name="items"/>.</summary>
    /// <param name="items">The elements to copy.</param>
    /// <param name="kind">The kind to allocate from; null for <see cref="MemoryKind.Default"/>.</param>
    /// <exception cref="OutOfMemoryException">The kind cannot give that much.</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public NativeArray(ReadOnlySpan<T> items, MemoryKind? kind = null)
    {
        _kind = kind ?? MemoryKind.Default;
        _length = items.Length;
        _items = (T*)_kind.Alloc(NativeList<T>.ByteCount(items.Length));
        items.CopyTo(new Span<T>(_items, items.Length));
    }

    /// <summary>The kind that holds the elements.</summary>
    public MemoryKind Kind => _kind;

    /// <summary>The number of elements (still readable after disposal).</summary>
    /// <exception cref="OverflowException">The array holds more than <see cref="int.MaxValue"/> elements; use <see cref="LongLength"/>.</exception>
    public int Length => checked((int)_length);

    /// <summary>The number of elements as a <see cref="long"/> (still readable after disposal).</summary>
    public long LongLength => _length;

    /// <summary>Whether the array, or the kind that holds it, has been disposed.</summary>
    public bool IsDisposed => _disposed || _kind.IsDisposed;

    /// <summary>The element at <paramref name="index"/>, by reference.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative or not less than <see cref="Length"/>.</exception>
    /// <exception cref="ObjectDisposedException">The array or its kind is disposed.</exception>
    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            T* items = Items;
            if ((uint)index >= (ulong)_length) ThrowIndex(index);
            return ref items[index];
        }
    }

    /// <summary>The element at <paramref name="index"/>, by reference; the index may exceed <see cref="int.MaxValue"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative or not less than <see cref="LongLength"/>.</exception>
    /// <exception cref="ObjectDisposedException">The array or its kind is disposed.</exception>
    public ref T this[long index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            T* items = Items;
            if ((ulong)index >= (ulong)_length) ThrowIndex(index);
            return ref items[index];
        }
    }

    /// <summary>All the elements as a span.</summary>
    /// <exception cref="OverflowException">The array holds more than <see cref="int.MaxValue"/> elements.</exception>
    /// <exception cref="ObjectDisposedException">The array or its kind is disposed.</exception>
    public Span<T> Span => AsSpan();

    /// <summary>All the elements as a span.</summary>
    /// <exception cref="OverflowException">The array holds more than <see cref="int.MaxValue"/> elements.</exception>
    /// <exception cref="ObjectDisposedException">The array or its kind is disposed.</exception>
    public Span<T> AsSpan() => new(Items, Length);

    /// <summary>The elements from <paramref name="start"/> to the end as a span.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="start"/> is outside [0, <see cref="LongLength"/>].</exception>
    /// <exception cref="OverflowException">More than <see cref="int.MaxValue"/> elements follow <paramref name="start"/>.</exception>
    /// <exception cref="ObjectDisposedException">The array or its kind is disposed.</exception>
    public Span<T> AsSpan(int start)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, _length);
        return AsSpan(start, checked((int)(_length - start)));
    }

    /// <summary><paramref name="length"/> elements from <paramref name="start"/> as a span.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the array.</exception>
    /// <exception cref="ObjectDisposedException">The array or its kind is disposed.</exception>
    public Span<T> AsSpan(int start, int length) => AsSpan((long)start, length);

    /// <summary><paramref name="length"/> elements from <paramref name="start"/> as a span; <paramref name="start"/> may exceed <see cref="int.MaxValue"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the array.</exception>
    /// <exception cref="ObjectDisposedException">The array or its kind is disposed.</exception>
    public Span<T> AsSpan(long start, int length)
    {
        T* items = Items;
        if ((ulong)start > (ulong)_length || (ulong)length > (ulong)(_length - start)) ThrowRange(start, length);
        return new Span<T>(items + start, length);
    }

    /// <summary>Copies the elements into a new managed array.</summary>
    /// <exception cref="OverflowException">The array holds more than <see cref="int.MaxValue"/> elements.</exception>
    /// <exception cref="ObjectDisposedException">The array or its kind is disposed.</exception>
    public T[] ToArray() => AsSpan().ToArray();

    /// <summary>An enumerator over the elements (a struct: no allocation in <c>foreach</c>).</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Frees the elements; later calls do nothing, and nothing is freed when the kind is disposed already.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        T* items = _items;
        _items = null;
        if (_kind.IsDisposed) return;
        try
        {
            _kind.Free(items);
        }
        catch (ObjectDisposedException)
        {
            // The kind was disposed meanwhile: its memory is gone with it.
        }
    }

    /// <summary>The kind and the length.</summary>
    public override string ToString() => $"NativeArray<{typeof(T).Name}>[{_length}] in {_kind.Name}{(IsDisposed ? " (disposed)" : "")}";

    private T* Items
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (_disposed || _kind.IsDisposed) ThrowDisposed();
            return _items;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowDisposed()
    {
        if (_disposed) throw new ObjectDisposedException(GetType().Name, "The array is disposed.");
        throw new ObjectDisposedException(_kind.Name, $"The memory kind '{_kind.Name}' that holds this array is disposed.");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowIndex(long index) => throw new ArgumentOutOfRangeException(nameof(index), index, $"The index must be at least 0 and less than the length {_length}.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowRange(long start, int length) => throw new ArgumentOutOfRangeException(nameof(start), $"The range of {length} elements at {start} is outside the array of length {_length}.");

    /// <summary>Enumerates a <see cref="NativeArray{T}"/>; each step checks that the array and its kind are not disposed.</summary>
    public struct Enumerator : IEnumerator<T>
    {
        private readonly NativeArray<T> _array;
        private long _index;

        internal Enumerator(NativeArray<T> array)
        {
            _array = array;
            _index = -1;
        }

        /// <summary>The current element.</summary>
        /// <exception cref="ObjectDisposedException">The array or its kind is disposed.</exception>
        /// <exception cref="ArgumentOutOfRangeException">The enumerator is before the first or after the last element.</exception>
        public readonly T Current => _array[_index];

        readonly object IEnumerator.Current => Current;

        /// <summary>Moves to the next element.</summary>
        /// <returns>False after the last element.</returns>
        /// <exception cref="ObjectDisposedException">The array or its kind is disposed.</exception>
        public bool MoveNext()
        {
            _ = _array.Items;
            if (_index + 1 >= _array._length)
            {
                _index = _array._length;
                return false;
            }
            _index++;
            return true;
        }

        /// <summary>Goes back to before the first element.</summary>
        public void Reset() => _index = -1;

        /// <summary>Does nothing.</summary>
        public readonly void Dispose() { }
    }
}
