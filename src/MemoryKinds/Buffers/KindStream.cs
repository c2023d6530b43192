namespace MemoryKinds;

/// <summary>
/// A readable, writable, seekable <see cref="Stream"/> whose bytes live in a <see cref="MemoryKind"/>: a
/// <see cref="MemoryStream"/> for data that belongs in a pmem, CXL or file-backed kind, or that is larger than 2 GiB.
/// The stream grows in segments of <see cref="SegmentSize"/> bytes allocated from the kind, never by copying.
/// </summary>
/// <remarks>
/// <para>As with <see cref="MemoryStream"/>: writing after a seek past the end zero-fills the gap, <see cref="SetLength"/>
/// moves the position back when it is past the new end, seeking before the start throws <see cref="IOException"/>, and
/// the asynchronous methods complete synchronously. <see cref="Position"/> and <see cref="Length"/> are <see cref="long"/>:
/// the stream can hold up to <see cref="Array.MaxLength"/> segments (128 TiB with the default segment size, less if
/// the kind is smaller); a position beyond that is refused with <see cref="ArgumentOutOfRangeException"/>, and a write
/// that would end beyond it with <see cref="IOException"/>, as <see cref="MemoryStream"/> does at 2 GiB.</para>
/// <para>A segment that was never written, such as the gap left by a seek past the end or by <see cref="SetLength"/>,
/// takes no memory until it is written: it reads as zeros. Shrinking with <see cref="SetLength"/> frees every segment
/// that starts at or past the new end.</para>
/// <para>When the kind cannot give a segment, a write throws <see cref="OutOfMemoryException"/> (what a
/// <see cref="MemoryStream"/> that cannot grow its array throws, and what <see cref="MemoryKind.Alloc"/> throws) and
/// changes nothing: the length, the position and the bytes stay as they were, so the stream stays usable.</para>
/// <para><see cref="Stream.Dispose()"/> frees every segment; after it, or after the kind is disposed, every member but
/// <see cref="Flush"/> and the <c>Can*</c> properties (then false) throws <see cref="ObjectDisposedException"/>. The
/// stream does not own the kind. Not thread-safe.</para>
/// </remarks>
public sealed class KindStream : Stream
{
    /// <summary>The default <see cref="SegmentSize"/>: 64 KiB.</summary>
    public const int DefaultSegmentSize = 65536;

    private readonly SparseSegments _bytes;
    private long _position;
    private bool _disposed;

    /// <summary>Creates an empty stream; no memory is taken from <paramref name="kind"/> until something is written.</summary>
    /// <param name="kind">The kind the segments come from.</param>
    /// <param name="segmentSize">The size of a segment in bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="kind"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="segmentSize"/> is zero or negative.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="kind"/> is disposed.</exception>
    public KindStream(MemoryKind kind, int segmentSize = DefaultSegmentSize)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(segmentSize);
        ObjectDisposedException.ThrowIf(kind.IsDisposed, kind);
        _bytes = new SparseSegments(kind, segmentSize);
    }

    /// <summary>The kind the segments come from.</summary>
    public MemoryKind Kind => _bytes.Kind;

    /// <summary>The size of the segments the stream's bytes are kept in.</summary>
    public int SegmentSize => _bytes.SegmentSize;

    /// <summary>True until the stream or its kind is disposed.</summary>
    public override bool CanRead => !IsDisposed;

    /// <summary>True until the stream or its kind is disposed.</summary>
    public override bool CanSeek => !IsDisposed;

    /// <summary>True until the stream or its kind is disposed.</summary>
    public override bool CanWrite => !IsDisposed;

    /// <summary>The number of bytes in the stream.</summary>
    /// <exception cref="ObjectDisposedException">The stream or its kind is disposed.</exception>
    public override long Length
    {
        get
        {
            ThrowIfDisposed();
            return _bytes.Length;
        }
    }

    /// <summary>Where the next read or write happens; may be past <see cref="Length"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value set is negative or beyond the most the stream can hold.</exception>
    /// <exception cref="ObjectDisposedException">The stream or its kind is disposed.</exception>
    public override long Position
    {
        get
        {
            ThrowIfDisposed();
            return _position;
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ThrowIfDisposed();
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, _bytes.MaxLength);
            _position = value;
        }
    }

    private bool IsDisposed => _disposed || _bytes.Kind.IsDisposed;

    /// <summary>Does nothing: the bytes are in the kind already.</summary>
    public override void Flush() { }

    /// <summary>Does nothing, unless <paramref name="cancellationToken"/> is already canceled.</summary>
    /// <returns>A completed task, or a canceled one.</returns>
    public override Task FlushAsync(CancellationToken cancellationToken)
        => cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    /// <summary>Reads up to <paramref name="count"/> bytes into <paramref name="buffer"/> at <paramref name="offset"/> and advances the position.</summary>
    /// <returns>The number of bytes read: 0 at or past the end.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside <paramref name="buffer"/>.</exception>
    /// <exception cref="ObjectDisposedException">The stream or its kind is disposed.</exception>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <summary>Reads up to <paramref name="buffer"/>'s length in bytes and advances the position.</summary>
    /// <returns>The number of bytes read: 0 at or past the end.</returns>
    /// <exception cref="ObjectDisposedException">The stream or its kind is disposed.</exception>
    public override int Read(Span<byte> buffer)
    {
        ThrowIfDisposed();
        int read = _bytes.Read(_position, buffer);
        _position += read;
        return read;
    }

    /// <summary>Reads one byte and advances the position.</summary>
    /// <returns>The byte, or -1 at or past the end.</returns>
    /// <exception cref="ObjectDisposedException">The stream or its kind is disposed.</exception>
    public override int ReadByte()
    {
        byte value = 0;
        return Read(new Span<byte>(ref value)) == 0 ? -1 : value;
    }

    /// <summary>Reads like <see cref="Read(Span{byte})"/>, synchronously.</summary>
    /// <returns>A completed task with the number of bytes read; a canceled or faulted one if the token is canceled or the read fails.</returns>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        try
        {
            return new ValueTask<int>(Read(buffer.Span));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<int>(e);
        }
    }

    /// <summary>Reads like <see cref="Read(byte[], int, int)"/>, synchronously.</summary>
    /// <returns>A completed task with the number of bytes read; a canceled or faulted one if the token is canceled or the read fails.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside <paramref name="buffer"/>.</exception>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>Writes <paramref name="count"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/> at the position and advances it.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside <paramref name="buffer"/>.</exception>
    /// <exception cref="IOException">The stream would grow beyond the most it can hold.</exception>
    /// <exception cref="OutOfMemoryException">The kind cannot give a segment; the stream is unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The stream or its kind is disposed.</exception>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <summary>Writes <paramref name="buffer"/> at the position and advances it, zero-filling any gap past the end.</summary>
    /// <exception cref="IOException">The stream would grow beyond the most it can hold.</exception>
    /// <exception cref="OutOfMemoryException">The kind cannot give a segment; the stream is unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The stream or its kind is disposed.</exception>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfDisposed();
        if (_position > _bytes.MaxLength - buffer.Length) throw new IOException($"The stream cannot grow beyond {_bytes.MaxLength} bytes.");
        _bytes.Write(_position, buffer);
        _position += buffer.Length;
    }

    /// <summary>Writes one byte at the position and advances it.</summary>
    /// <exception cref="IOException">The stream would grow beyond the most it can hold.</exception>
    /// <exception cref="OutOfMemoryException">The kind cannot give a segment; the stream is unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The stream or its kind is disposed.</exception>
    public override void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));

    /// <summary>Writes like <see cref="Write(ReadOnlySpan{byte})"/>, synchronously.</summary>
    /// <returns>A completed task; a canceled or faulted one if the token is canceled or the write fails.</returns>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled(cancellationToken);
        try
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
    }

    /// <summary>Writes like <see cref="Write(byte[], int, int)"/>, synchronously.</summary>
    /// <returns>A completed task; a canceled or faulted one if the token is canceled or the write fails.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside <paramref name="buffer"/>.</exception>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>Moves the position to <paramref name="offset"/> from <paramref name="origin"/>; it may go past the end.</summary>
    /// <returns>The new position.</returns>
    /// <exception cref="ArgumentException"><paramref name="origin"/> is not a <see cref="SeekOrigin"/>.</exception>
    /// <exception cref="IOException">The new position would be before the start of the stream.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The new position would be beyond the most the stream can hold.</exception>
    /// <exception cref="ObjectDisposedException">The stream or its kind is disposed.</exception>
    public override long Seek(long offset, SeekOrigin origin)
    {
        ThrowIfDisposed();
        long from = origin switch
        {
            SeekOrigin.Begin => 0,
            SeekOrigin.Current => _position,
            SeekOrigin.End => _bytes.Length,
            _ => throw new ArgumentException($"{origin} is not a seek origin.", nameof(origin)),
        };
        if (offset < -from) throw new IOException("Cannot seek before the start of the stream.");
        if (offset > _bytes.MaxLength - from) throw new ArgumentOutOfRangeException(nameof(offset), offset, $"The stream cannot hold more than {_bytes.MaxLength} bytes.");
        _position = from + offset;
        return _position;
    }

    /// <summary>
    /// Makes the stream <paramref name="value"/> bytes long. Shrinking frees the segments past the new end and moves the
    /// position back to it if it was further; growing adds bytes that read as zeros and take no memory until written.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative or beyond the most the stream can hold.</exception>
    /// <exception cref="ObjectDisposedException">The stream or its kind is disposed.</exception>
    public override void SetLength(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, _bytes.MaxLength);
        _bytes.SetLength(value);
        if (_position > value) _position = value;
    }

    /// <summary>
    /// Writes the bytes from the position to the end into <paramref name="destination"/>, straight from the segments
    /// (<paramref name="bufferSize"/> is only checked: no buffer is used), and moves the position to the end.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is zero or negative.</exception>
    /// <exception cref="NotSupportedException"><paramref name="destination"/> is not writable.</exception>
    /// <exception cref="ObjectDisposedException">This stream, its kind or <paramref name="destination"/> is disposed.</exception>
    public override void CopyTo(Stream destination, int bufferSize)
    {
        ValidateCopyToArguments(destination, bufferSize);
        ThrowIfDisposed();
        while (_position < _bytes.Length)
        {
            ReadOnlyMemory<byte> chunk = _bytes.ChunkAt(_position);
            destination.Write(chunk.Span);
            _position += chunk.Length;
        }
    }

    /// <summary>
    /// Writes the bytes from the position to the end into <paramref name="destination"/> asynchronously, one segment per
    /// <see cref="Stream.WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> straight from the kind's memory
    /// (<paramref name="bufferSize"/> is only checked), and moves the position past what was copied.
    /// </summary>
    /// <returns>A task that completes when everything is copied.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is zero or negative.</exception>
    /// <exception cref="NotSupportedException"><paramref name="destination"/> is not writable.</exception>
    /// <exception cref="ObjectDisposedException">This stream, its kind or <paramref name="destination"/> is disposed.</exception>
    public override Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        ValidateCopyToArguments(destination, bufferSize);
        ThrowIfDisposed();
        return CopyChunksAsync(destination, cancellationToken);
    }

    /// <summary>The kind, the length and the position.</summary>
    public override string ToString()
        => IsDisposed ? $"{nameof(KindStream)} over {Kind.Name} (disposed)" : $"{nameof(KindStream)} over {Kind.Name}: {_bytes.Length} bytes, at {_position}, segments of {SegmentSize}";

    /// <summary>Frees every segment; later calls do nothing, and nothing is freed when the kind is disposed already.</summary>
    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            _bytes.Dispose();
        }
        base.Dispose(disposing);
    }

    private async Task CopyChunksAsync(Stream destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            ThrowIfDisposed(); // the stream may be disposed while the destination is writing
            if (_position >= _bytes.Length) return;
            ReadOnlyMemory<byte> chunk = _bytes.ChunkAt(_position);
            await destination.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            _position += chunk.Length;
        }
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ObjectDisposedException.ThrowIf(_bytes.Kind.IsDisposed, _bytes.Kind);
    }
}
