using System.Collections;
using System.Runtime.CompilerServices;

namespace MemoryKinds;

/// <summary>
/// A growable list of unmanaged values in a <see cref="MemoryKind"/> (by default <see cref="MemoryKind.Default"/>), grown
/// with <see cref="MemoryKind.Realloc"/>: the counterpart, with <see cref="NativeArray{T}"/>, of a
/// <c>std::vector&lt;T, pmem::allocator&lt;T&gt;&gt;</c> on a memkind kind. Bounds-checked, enumerable, viewable as a
/// <see cref="Span{T}"/>; <see cref="Dispose"/> frees it.
/// </summary>
/// <remarks>
/// Every member checks that neither the list nor its kind is disposed (<see cref="ObjectDisposedException"/>), so the
/// list never touches freed or unmapped memory. Spans and <c>ref</c>s taken earlier are raw views: they are invalidated by
/// any call that changes the capacity (the block may move), as with <c>CollectionsMarshal.AsSpan</c>. Disposing the kind
/// while another thread is using the list is a race in the caller. Not thread-safe. A list that is never disposed keeps
/// its block until the kind is disposed (there is no finalizer). An empty list with no capacity holds no block.
/// </remarks>
/// <typeparam name="T">An unmanaged element type.</typeparam>
public sealed unsafe class NativeList<T> : IDisposable, IEnumerable<T> where T : unmanaged
{
    private const int MinGrowth = 4;

    private readonly MemoryKind _kind;
    private T* _items;
    private int _count;
    private int _capacity;
    private int _version;
    private bool _disposed;

    /// <summary>Creates an empty list in <paramref name="kind"/>, holding no memory until the first element is added.</summary>
    /// <param name="kind">The kind to allocate from; null for <see cref="MemoryKind.Default"/>.</param>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public NativeList(MemoryKind? kind = null) : this(0, kind) { }

    /// <summary>Creates an empty list in <paramref name="kind"/> with room for at least <paramref name="capacity"/> elements.</summary>
    /// <param name="capacity">The initial capacity.</param>
    /// <param name="kind">The kind to allocate from; null for <see cref="MemoryKind.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    /// <exception cref="OutOfMemoryException">The kind cannot give that much.</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public NativeList(int capacity, MemoryKind? kind = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _kind = kind ?? MemoryKind.Default;
        ObjectDisposedException.ThrowIf(_kind.IsDisposed, _kind);
        if (capacity > 0) Resize(capacity);
    }

    /// <summary>The kind that holds the elements.</summary>
    public MemoryKind Kind => _kind;

    /// <summary>The number of elements.</summary>
    /// <exception cref="ObjectDisposedException">The list or its kind is disposed.</exception>
    public int Count
    {
        get
        {
            ThrowIfDisposed();
            return _count;
        }
    }

    /// <summary>
    /// The number of elements the list holds without growing: at least what was asked for (the block's usable size is
    /// used in full). Setting it reallocates the block (0 frees it).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value set is less than <see cref="Count"/>.</exception>
    /// <exception cref="OutOfMemoryException">The kind cannot give that much; the list is unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The list or its kind is disposed.</exception>
    public int Capacity
    {
        get
        {
            ThrowIfDisposed();
            return _capacity;
        }
        set
        {
            ThrowIfDisposed();
            ArgumentOutOfRangeException.ThrowIfLessThan(value, _count);
            if (value != _capacity) Resize(value);
        }
    }

    /// <summary>Whether the list, or the kind that holds it, has been disposed.</summary>
    public bool IsDisposed => _disposed || _kind.IsDisposed;

    /// <summary>The element at <paramref name="index"/>, by reference (valid until the capacity changes).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative or not less than <see cref="Count"/>.</exception>
    /// <exception cref="ObjectDisposedException">The list or its kind is disposed.</exception>
    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            ThrowIfDisposed();
            if ((uint)index >= (uint)_count) ThrowIndex(index);
            return ref _items[index];
        }
    }

    /// <summary>The elements as a span (valid until the capacity changes).</summary>
    /// <exception cref="ObjectDisposedException">The list or its kind is disposed.</exception>
    public Span<T> Span => AsSpan();

    /// <summary>The elements as a span (valid until the capacity changes).</summary>
    /// <exception cref="ObjectDisposedException">The list or its kind is disposed.</exception>
    public Span<T> AsSpan()
    {
        ThrowIfDisposed();
        return new Span<T>(_items, _count);
    }

    /// <summary>Appends <paramref name="item"/>, growing the block (to twice its capacity) when it is full.</summary>
    /// <exception cref="OutOfMemoryException">The kind cannot grow the block; the list is unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The list or its kind is disposed.</exception>
    public void Add(T item)
    {
        ThrowIfDisposed();
        if (_count == _capacity) Grow(_count + 1);
        _items[_count++] = item;
        _version++;
    }

    /// <summary>Appends every element of <paramref name="items"/>.</summary>
    /// <exception cref="OutOfMemoryException">The kind cannot grow the block; the list is unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The list or its kind is disposed.</exception>
    public void AddRange(ReadOnlySpan<T> items)
    {
        ThrowIfDisposed();
        if (items.IsEmpty) return;
        if (items.Length > _capacity - _count) Grow((long)_count + items.Length);
        items.CopyTo(new Span<T>(_items + _count, items.Length));
        _count += items.Length;
        _version++;
    }

    /// <summary>Inserts <paramref name="item"/> at <paramref name="index"/>, moving later elements up.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative or greater than <see cref="Count"/>.</exception>
    /// <exception cref="OutOfMemoryException">The kind cannot grow the block; the list is unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The list or its kind is disposed.</exception>
    public void Insert(int index, T item)
    {
        ThrowIfDisposed();
        if ((uint)index > (uint)_count) ThrowIndex(index);
        if (_count == _capacity) Grow(_count + 1);
        new Span<T>(_items + index, _count - index).CopyTo(new Span<T>(_items + index + 1, _count - index));
        _items[index] = item;
        _count++;
        _version++;
    }

    /// <summary>Removes the element at <paramref name="index"/>, moving later elements down.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative or not less than <see cref="Count"/>.</exception>
    /// <exception cref="ObjectDisposedException">The list or its kind is disposed.</exception>
    public void RemoveAt(int index)
    {
        ThrowIfDisposed();
        if ((uint)index >= (uint)_count) ThrowIndex(index);
        _count--;
        new Span<T>(_items + index + 1, _count - index).CopyTo(new Span<T>(_items + index, _count - index));
        _version++;
    }

    /// <summary>Removes every element; the capacity (and the block) stays.</summary>
    /// <exception cref="ObjectDisposedException">The list or its kind is disposed.</exception>
    public void Clear()
    {
        ThrowIfDisposed();
        _count = 0;
        _version++;
    }

    /// <summary>Makes sure the list holds at least <paramref name="capacity"/> elements without growing again.</summary>
    /// <returns>The capacity afterwards.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    /// <exception cref="OutOfMemoryException">The kind cannot grow the block; the list is unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The list or its kind is disposed.</exception>
    public int EnsureCapacity(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ThrowIfDisposed();
        if (capacity > _capacity) Grow(capacity);
        return _capacity;
    }

    /// <summary>Shrinks the block to the elements (frees it when the list is empty).</summary>
    /// <exception cref="ObjectDisposedException">The list or its kind is disposed.</exception>
    public void TrimExcess()
    {
        ThrowIfDisposed();
        if (_count < _capacity) Resize(_count);
    }

    /// <summary>Copies the elements into a new managed array.</summary>
    /// <exception cref="ObjectDisposedException">The list or its kind is disposed.</exception>
    public T[] ToArray() => AsSpan().ToArray();

    /// <summary>An enumerator over the elements (a struct: no allocation in <c>foreach</c>).</summary>
    /// <remarks>Changing the list's elements' count or capacity while enumerating makes the next step throw <see cref="InvalidOperationException"/>.</remarks>
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
        _count = _capacity = 0;
        if (items == null || _kind.IsDisposed) return;
        try
        {
            _kind.Free(items);
        }
        catch (ObjectDisposedException)
        {
            // The kind was disposed meanwhile: its memory is gone with it.
        }
    }

    /// <summary>The kind and the count.</summary>
    public override string ToString() => $"NativeList<{typeof(T).Name}>[{_count}] in {_kind.Name}{(IsDisposed ? " (disposed)" : "")}";

    /// <summary>The bytes of <paramref name="count"/> elements.</summary>
    /// <exception cref="OutOfMemoryException">They do not fit in the address space (32-bit processes only).</exception>
    internal static nuint ByteCount(long count)
    {
        if ((ulong)count > nuint.MaxValue / (nuint)sizeof(T)) throw new OutOfMemoryException($"{count} elements of {sizeof(T)} bytes do not fit in the address space.");
        return (nuint)count * (nuint)sizeof(T);
    }

    /// <summary>Grows to at least <paramref name="required"/> elements, doubling the capacity when that is more.</summary>
    private void Grow(long required)
    {
        if (required > Array.MaxLength) throw new OutOfMemoryException($"A list cannot hold more than {Array.MaxLength} elements.");
        long capacity = Math.Max(Math.Max(required, (long)_capacity * 2), MinGrowth);
        Resize((int)Math.Min(capacity, Array.MaxLength));
    }

    /// <summary>Reallocates the block to <paramref name="capacity"/> elements (at least <see cref="_count"/>) and takes its usable size.</summary>
    private void Resize(int capacity)
    {
        if (capacity == 0)
        {
            _kind.Free(_items);
            _items = null;
            _capacity = 0;
        }
        else
        {
            _items = (T*)_kind.Realloc(_items, ByteCount(capacity));
            long usable = (long)(_kind.GetUsableSize(_items) / (nuint)sizeof(T));
            _capacity = (int)Math.Min(Math.Max(usable, capacity), Array.MaxLength);
        }
        _version++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfDisposed()
    {
        if (_disposed || _kind.IsDisposed) ThrowDisposed();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowDisposed()
    {
        if (_disposed) throw new ObjectDisposedException(GetType().Name, "The list is disposed.");
        throw new ObjectDisposedException(_kind.Name, $"The memory kind '{_kind.Name}' that holds this list is disposed.");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowIndex(int index) => throw new ArgumentOutOfRangeException(nameof(index), index, $"The index is outside the list of {_count} elements.");

    /// <summary>
    /// Enumerates a <see cref="NativeList{T}"/>; each step checks that the list and its kind are not disposed and that the
    /// list has not been changed (<see cref="InvalidOperationException"/>).
    /// </summary>
    public struct Enumerator : IEnumerator<T>
    {
        private readonly NativeList<T> _list;
        private readonly int _version;
        private int _index;

        internal Enumerator(NativeList<T> list)
        {
            _list = list;
            _version = list._version;
            _index = -1;
        }

        /// <summary>The current element.</summary>
        /// <exception cref="ObjectDisposedException">The list or its kind is disposed.</exception>
        /// <exception cref="ArgumentOutOfRangeException">The enumerator is before the first or after the last element.</exception>
        public readonly T Current => _list[_index];

        readonly object IEnumerator.Current => Current;

        /// <summary>Moves to the next element.</summary>
        /// <returns>False after the last element.</returns>
        /// <exception cref="ObjectDisposedException">The list or its kind is disposed.</exception>
        /// <exception cref="InvalidOperationException">The list changed since the enumeration began.</exception>
        public bool MoveNext()
        {
            _list.ThrowIfDisposed();
            if (_version != _list._version) throw new InvalidOperationException("The list was changed; the enumeration cannot go on.");
            if (_index + 1 >= _list._count)
            {
                _index = _list._count;
                return false;
            }
            _index++;
            return true;
        }

        /// <summary>Goes back to before the first element.</summary>
        /// <exception cref="InvalidOperationException">The list changed since the enumeration began.</exception>
        public void Reset()
        {
            if (_version != _list._version) throw new InvalidOperationException("The list was changed; the enumeration cannot go on.");
            _index = -1;
        }

        /// <summary>Does nothing.</summary>
        public readonly void Dispose() { }
    }
}
