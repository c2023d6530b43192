using System.Buffers;

namespace MemoryKinds;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> of bytes whose buffers are blocks of a <see cref="MemoryKind"/>: it grows by
/// appending segments (never by copying), and <see cref="WrittenSequence"/> reads what was written, in place, as a
/// multi-segment <see cref="ReadOnlySequence{T}"/>. The counterpart of <see cref="ArrayBufferWriter{T}"/> for data that
/// should live in a pmem, CXL or file-backed kind, or that outgrows a managed array.
/// </summary>
/// <remarks>
/// <para>A segment is <see cref="SegmentSize"/> bytes, or as large as the <c>sizeHint</c> that asked for it when that is
/// more. When the current segment has less room than a <see cref="GetMemory"/> or <see cref="GetSpan"/> asks for, a new
/// segment is started and the rest of the current one is left unused.</para>
/// <para><see cref="Reset"/> and <see cref="Dispose"/> give every segment back to the kind. The kind's own per-thread
/// caches make the next allocation cheap, and a <see cref="WrittenSequence"/> or a <see cref="Memory{T}"/> from
/// <see cref="GetMemory"/> kept from before then throws <see cref="ObjectDisposedException"/> on use instead of showing
/// bytes written later (a <see cref="Span{T}"/> kept from before is a raw view and cannot be checked). Not thread-safe. A writer that
/// is never disposed keeps its segments until the kind is disposed (there is no finalizer); the writer does not own
/// the kind.</para>
/// </remarks>
public sealed class KindBufferWriter : IBufferWriter<byte>, IDisposable
{
    /// <summary>The default <see cref="SegmentSize"/>: 64 KiB.</summary>
    public const int DefaultSegmentSize = 65536;

    private readonly MemoryKind _kind;
    private readonly int _segmentSize;
    private KindSequenceSegment? _first;
    private KindSequenceSegment? _last;
    private bool _disposed;

    /// <summary>Creates an empty writer; no memory is taken from <paramref name="kind"/> until the first buffer is asked for.</summary>
    /// <param name="kind">The kind the segments come from.</param>
    /// <param name="segmentSize">The size of a segment in bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="kind"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="segmentSize"/> is zero or negative.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="kind"/> is disposed.</exception>
    public KindBufferWriter(MemoryKind kind, int segmentSize = DefaultSegmentSize)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(segmentSize);
        ObjectDisposedException.ThrowIf(kind.IsDisposed, kind);
        _kind = kind;
        _segmentSize = segmentSize;
    }

    /// <summary>The kind the segments come from.</summary>
    public MemoryKind Kind => _kind;

    /// <summary>The size of a segment, unless a larger <c>sizeHint</c> asked for more.</summary>
    public int SegmentSize => _segmentSize;

    /// <summary>The number of bytes written (advanced) since the writer was made or last <see cref="Reset"/>.</summary>
    /// <exception cref="ObjectDisposedException">The writer or its kind is disposed.</exception>
    public long WrittenCount
    {
        get
        {
            ThrowIfDisposed();
            return Written;
        }
    }

    /// <summary>
    /// The bytes written so far, in place in the kind's blocks (one sequence segment per block). Valid until the next
    /// <see cref="Reset"/> or <see cref="Dispose"/>; later writes do not change a sequence taken earlier.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The writer or its kind is disposed.</exception>
    public ReadOnlySequence<byte> WrittenSequence
    {
        get
        {
            ThrowIfDisposed();
            return _first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_first, 0, _last!, _last!.Written);
        }
    }

    /// <summary>Counts <paramref name="count"/> bytes of the buffer last returned by <see cref="GetMemory"/> or <see cref="GetSpan"/> as written.</summary>
    /// <param name="count">The number of bytes written into that buffer.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or more than what is left of that buffer.</exception>
    /// <exception cref="ObjectDisposedException">The writer or its kind is disposed.</exception>
    public void Advance(int count)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int free = _last is null ? 0 : _last.Unwritten.Length;
        if (count > free) throw new ArgumentOutOfRangeException(nameof(count), count, $"Cannot advance past the end of the buffer returned last ({free} bytes left).");
        _last?.Advance(count);
    }

    /// <summary>A buffer of at least <paramref name="sizeHint"/> bytes (at least 1 when it is 0) to write into, then <see cref="Advance"/>.</summary>
    /// <param name="sizeHint">The least size wanted; 0 for any non-empty buffer.</param>
    /// <returns>The unwritten rest of the current segment, or of a new one.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sizeHint"/> is negative.</exception>
    /// <exception cref="OutOfMemoryException">A new segment is needed and the kind cannot give it; the writer is unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The writer or its kind is disposed.</exception>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        int needed = Math.Max(sizeHint, 1);
        if (_last is not null && _last.Unwritten.Length >= needed) return _last.Unwritten;
        AddSegment(Math.Max(needed, _segmentSize));
        return _last!.Unwritten;
    }

    /// <summary>A span of at least <paramref name="sizeHint"/> bytes (at least 1 when it is 0) to write into, then <see cref="Advance"/>.</summary>
    /// <param name="sizeHint">The least size wanted; 0 for any non-empty span.</param>
    /// <returns>The unwritten rest of the current segment, or of a new one.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sizeHint"/> is negative.</exception>
    /// <exception cref="OutOfMemoryException">A new segment is needed and the kind cannot give it; the writer is unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The writer or its kind is disposed.</exception>
    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    /// <summary>Forgets what was written and gives every segment back to the kind; the writer can be used again.</summary>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        FreeSegments();
    }

    /// <summary>Gives every segment back to the kind; later calls do nothing, and nothing is freed when the kind is disposed already.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        FreeSegments();
    }

    /// <summary>The kind, the bytes written and the segment size.</summary>
    public override string ToString()
        => _disposed ? $"{nameof(KindBufferWriter)} over {_kind.Name} (disposed)" : $"{nameof(KindBufferWriter)} over {_kind.Name}: {Written} bytes written, segments of {_segmentSize}";

    private long Written => _last is null ? 0 : _last.RunningIndex + _last.Written;

    private void AddSegment(int size)
    {
        var segment = new KindSequenceSegment(_kind.Allocate<byte>(size), Written);
        if (_last is null) _first = segment;
        else _last.Link(segment);
        _last = segment;
    }

    private void FreeSegments()
    {
        for (KindSequenceSegment? segment = _first; segment is not null; segment = (KindSequenceSegment?)segment.Next) segment.Block.Dispose();
        _first = _last = null;
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ObjectDisposedException.ThrowIf(_kind.IsDisposed, _kind);
    }
}
