namespace MemoryKinds;

/// <summary>
/// The bytes of a <see cref="KindStream"/>: positions [0, <see cref="Length"/>) in blocks of one fixed size from a kind,
/// block <c>i</c> holding positions from <c>i × SegmentSize</c>. A block not yet written is a hole (null): it reads as
/// zeros and takes no memory, so seeking far past the end and writing there costs only the blocks written.
/// </summary>
/// <remarks>
/// Invariants: a block exists only if it starts below <see cref="Length"/> (so only the block holding position
/// <see cref="Length"/> can have bytes past the end), and bytes past <see cref="Length"/> are undefined; whatever makes
/// them part of the stream again zeroes them first (as <see cref="MemoryStream"/> does with its array).
/// </remarks>
internal sealed class SparseSegments : IDisposable
{
    // What a hole reads as when it must be handed out as memory (CopyTo); never written.
    private static readonly byte[] s_zeros = new byte[16384];

    private readonly MemoryKind _kind;
    private readonly int _segmentSize;
    private readonly List<KindMemoryOwner<byte>?> _segments = [];
    private long _length;

    public SparseSegments(MemoryKind kind, int segmentSize)
    {
        _kind = kind;
        _segmentSize = segmentSize;
        MaxLength = (long)Array.MaxLength * segmentSize;
    }

    public MemoryKind Kind => _kind;

    public int SegmentSize => _segmentSize;

    /// <summary>The most bytes the blocks can index: <see cref="Array.MaxLength"/> blocks.</summary>
    public long MaxLength { get; }

    public long Length => _length;

    /// <summary>Copies the bytes at <paramref name="position"/> into <paramref name="destination"/>, up to <see cref="Length"/>.</summary>
    /// <returns>The number of bytes copied: 0 at or past the end.</returns>
    public int Read(long position, Span<byte> destination)
    {
        if (position >= _length) return 0;
        int count = (int)Math.Min(destination.Length, _length - position);
        for (int done = 0; done < count;)
        {
            (KindMemoryOwner<byte>? segment, int offset, int length) = Locate(position + done, position + count);
            Span<byte> target = destination.Slice(done, length);
            if (segment is null) target.Clear();
            else segment.Span.Slice(offset, length).CopyTo(target);
            done += length;
        }
        return count;
    }

    /// <summary>The bytes from <paramref name="position"/> (below <see cref="Length"/>) to the end of its block or of the stream, in place; a hole gives zeros.</summary>
    public ReadOnlyMemory<byte> ChunkAt(long position)
    {
        (KindMemoryOwner<byte>? segment, int offset, int length) = Locate(position, _length);
        return segment is null ? s_zeros.AsMemory(0, Math.Min(length, s_zeros.Length)) : segment.Memory.Slice(offset, length);
    }

    /// <summary>
    /// Writes <paramref name="source"/> at <paramref name="position"/> (which with it stays within <see cref="MaxLength"/>),
    /// extending <see cref="Length"/> to the end of what was written, or to <paramref name="position"/> for an empty write
    /// past the end (as <see cref="MemoryStream"/> does), and zero-filling any gap.
    /// </summary>
    /// <exception cref="OutOfMemoryException">The kind cannot give a block; nothing has changed.</exception>
    public void Write(long position, ReadOnlySpan<byte> source)
    {
        long end = position + source.Length;
        long newLength = Math.Max(_length, end);
        AllocateHoles(position, end, newLength);
        if (position > _length) ClearPastEnd(position);
        for (int done = 0; done < source.Length;)
        {
            (KindMemoryOwner<byte>? segment, int offset, int length) = Locate(position + done, end);
            source.Slice(done, length).CopyTo(segment!.Span.Slice(offset, length));
            done += length;
        }
        _length = newLength;
    }

    /// <summary>Makes the stream <paramref name="length"/> bytes long: shrinking frees the blocks that start at or past it, growing reads as zeros.</summary>
    public void SetLength(long length)
    {
        if (length < _length)
        {
            int keep = (int)((length + _segmentSize - 1) / _segmentSize);
            if (keep < _segments.Count) FreeFrom(keep);
        }
        else
        {
            ClearPastEnd(length);
        }
        _length = length;
    }

    /// <summary>Frees every block; the length becomes 0.</summary>
    public void Dispose()
    {
        FreeFrom(0);
        _length = 0;
    }

    /// <summary>The block holding <paramref name="position"/> (null for a hole), the offset in it, and how many bytes of it lie before <paramref name="end"/>.</summary>
    private (KindMemoryOwner<byte>? Segment, int Offset, int Length) Locate(long position, long end)
    {
        int index = (int)(position / _segmentSize);
        int offset = (int)(position - (long)index * _segmentSize);
        int length = (int)Math.Min(_segmentSize - offset, end - position);
        return (index < _segments.Count ? _segments[index] : null, offset, length);
    }

    /// <summary>Zeroes the undefined bytes from <see cref="Length"/> to <paramref name="to"/>: by the invariant, only the block holding <see cref="Length"/> has any.</summary>
    private void ClearPastEnd(long to)
    {
        (KindMemoryOwner<byte>? segment, int offset, int length) = Locate(_length, to);
        segment?.Span.Slice(offset, length).Clear();
    }

    /// <summary>
    /// Gives a block to every hole that [<paramref name="position"/>, <paramref name="end"/>) touches, zeroing the parts
    /// outside that range which lie below <paramref name="newLength"/>. All blocks are allocated before any is installed,
    /// so a failure changes nothing.
    /// </summary>
    private void AllocateHoles(long position, long end, long newLength)
    {
        if (position == end) return;
        int first = (int)(position / _segmentSize), last = (int)((end - 1) / _segmentSize);
        while (_segments.Count <= last) _segments.Add(null); // trailing holes are harmless if what follows fails
        int holes = 0;
        for (int i = first; i <= last; i++)
        {
            if (_segments[i] is null) holes++;
        }
        if (holes == 0) return;

        var fresh = new KindMemoryOwner<byte>[holes];
        int made = 0;
        try
        {
            for (; made < holes; made++) fresh[made] = _kind.Allocate<byte>(_segmentSize);
        }
        catch
        {
            for (int i = 0; i < made; i++) fresh[i].Dispose();
            throw;
        }

        made = 0;
        for (int i = first; i <= last; i++)
        {
            if (_segments[i] is not null) continue;
            KindMemoryOwner<byte> segment = fresh[made++];
            _segments[i] = segment;
            ClearOutside(segment.Span, (long)i * _segmentSize, position, end, newLength);
        }
    }

    /// <summary>Zeroes the bytes of a new block starting at <paramref name="start"/> that are before <paramref name="position"/>, or from <paramref name="end"/> up to <paramref name="newLength"/>.</summary>
    private void ClearOutside(Span<byte> block, long start, long position, long end, long newLength)
    {
        if (position > start) block[..(int)(position - start)].Clear();
        long tail = Math.Min(start + _segmentSize, newLength);
        if (end < tail) block[(int)(end - start)..(int)(tail - start)].Clear();
    }

    private void FreeFrom(int index)
    {
        for (int i = index; i < _segments.Count; i++) _segments[i]?.Dispose();
        _segments.RemoveRange(index, _segments.Count - index);
    }
}
