namespace MemoryKinds.Tests.SafeSurface;

/// <summary>KindStream: a MemoryStream-like Stream whose bytes live in segments of a kind.</summary>
public class KindStreamTests
{
    [Theory]
    [MemberData(nameof(SafeKinds.All), MemberType = typeof(SafeKinds))]
    public async Task BytesWrittenThroughEveryOverloadReadBackByteForByte(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which);
        using var stream = new KindStream(kind, segmentSize: 4096);
        Assert.Same(kind, stream.Kind);
        Assert.Equal(4096, stream.SegmentSize);
        Assert.True(stream.CanRead && stream.CanWrite && stream.CanSeek);
        byte[] expected = Pattern(0, 300_000);
        stream.Write(expected, 0, 10_000);
        stream.Write(expected.AsSpan(10_000, 90_000));
        for (int i = 100_000; i < 101_000; i++) stream.WriteByte(expected[i]);
        await stream.WriteAsync(expected.AsMemory(101_000, 99_000));
        await stream.WriteAsync(expected, 200_000, 100_000);
        Assert.Equal(300_000, stream.Length);
        Assert.Equal(300_000, stream.Position);

        stream.Position = 0;
        var back = new byte[300_000];
        Assert.Equal(5000, stream.Read(back, 0, 5000));
        Assert.Equal(95_000, stream.Read(back.AsSpan(5000, 95_000)));
        for (int i = 100_000; i < 101_000; i++) back[i] = (byte)stream.ReadByte();
        Assert.Equal(99_000, await stream.ReadAsync(back.AsMemory(101_000, 99_000)));
        Assert.Equal(100_000, await stream.ReadAsync(back, 200_000, 100_000));
        Assert.Equal(expected, back);
        Assert.Equal(0, stream.Read(back));
        Assert.Equal(-1, stream.ReadByte());
    }

    [Fact]
    public void AWritePastTheEndZeroFillsTheGapEvenOverBytesLeftBySetLength()
    {
        using MemoryKind kind = SafeKinds.Create("tmpfs");
        using var stream = new KindStream(kind, segmentSize: 1024);
        stream.Write(Enumerable.Repeat((byte)0xFF, 5000).ToArray());
        stream.SetLength(1500); // the bytes past 1500 stay in the kept segment
        stream.SetLength(2500);
        stream.Seek(4000, SeekOrigin.Begin);
        stream.WriteByte(1);
        stream.SetLength(3000); // shrinks below the position, which moves back
        Assert.Equal(3000, stream.Position);
        stream.Seek(700, SeekOrigin.Current);
        stream.Write([2, 3]);

        byte[] bytes = ReadAll(stream);
        Assert.Equal(3702, bytes.Length);
        Assert.True(bytes.AsSpan(0, 1500).IndexOfAnyExcept((byte)0xFF) < 0);
        Assert.True(bytes.AsSpan(1500, 2200).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal([2, 3], bytes[3700..]);
    }

    [Fact]
    public void SetLengthFreesWholeSegmentsAndGrowingTakesNoMemory()
    {
        using MemoryKind kind = SafeKinds.Create("tmpfs");
        long baseline = kind.GetStats().Allocated;
        const int Segment = 1 << 20; // a large block: Allocated counts it exactly
        using var stream = new KindStream(kind, Segment);
        stream.Write(Pattern(0, 10 * Segment));
        Assert.Equal(baseline + 10L * Segment, kind.GetStats().Allocated);

        stream.SetLength(5 * Segment / 2);
        Assert.Equal(baseline + 3L * Segment, kind.GetStats().Allocated);
        Assert.Equal(5 * Segment / 2, stream.Position);
        stream.SetLength(0);
        Assert.Equal(baseline, kind.GetStats().Allocated);
        Assert.Equal(0, stream.Position);

        stream.SetLength(64L * Segment);
        Assert.Equal(baseline, kind.GetStats().Allocated);
        stream.Position = 40L * Segment + 5;
        stream.WriteByte(9);
        Assert.Equal(baseline + Segment, kind.GetStats().Allocated);
        stream.Position = 40L * Segment;
        var head = new byte[10];
        Assert.Equal(10, stream.Read(head));
        Assert.Equal([0, 0, 0, 0, 0, 9, 0, 0, 0, 0], head);
        Assert.Equal(64L * Segment, stream.Length);
    }

    [Fact]
    public void AStreamGrowsPastFourGibibytesTouchingOnlyWhatIsWritten()
    {
        using MemoryKind kind = MemoryKind.Create("kindstream-large", new AnonymousMemorySource());
        long baseline = kind.GetStats().Allocated;
        var stream = new KindStream(kind);
        long[] starts = [(2L << 30) - (1 << 20), (4L << 30) + 12_345];
        const int Chunk = 2 << 20;
        foreach (long start in starts)
        {
            Assert.Equal(start, stream.Seek(start, SeekOrigin.Begin));
            stream.Write(Pattern(start, Chunk));
        }
        long length = starts[1] + Chunk;
        Assert.Equal(length, stream.Length);
        Assert.Equal(length, stream.Position);
        long allocated = kind.GetStats().Allocated - baseline;
        Assert.InRange(allocated, 2L * Chunk, 2L * Chunk + 2 * KindStream.DefaultSegmentSize);

        var back = new byte[Chunk];
        foreach (long start in starts)
        {
            stream.Position = start;
            Assert.Equal(Chunk, stream.Read(back));
            Assert.Equal(Pattern(start, Chunk), back);
        }
        stream.Position = 3L << 30;
        Assert.Equal(Chunk, stream.Read(back));
        Assert.True(back.AsSpan().IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(-Chunk, stream.Seek(-Chunk, SeekOrigin.End) - length);

        stream.SetLength(3L << 30);
        Assert.Equal(3L << 30, stream.Position);
        Assert.InRange(kind.GetStats().Allocated - baseline, Chunk, Chunk + 2 * KindStream.DefaultSegmentSize);
        stream.Dispose();
        Assert.Equal(baseline, kind.GetStats().Allocated);
    }

    [Fact]
    public void SeekAndPositionAreCheckedAsMemoryStreamChecksThem()
    {
        using var stream = new KindStream(MemoryKind.Default, segmentSize: 1); // at most Array.MaxLength bytes
        stream.Write([1, 2, 3]);
        Assert.Throws<IOException>(() => stream.Seek(-4, SeekOrigin.End));
        Assert.Throws<IOException>(() => stream.Seek(-1, SeekOrigin.Begin));
        Assert.Equal(3, stream.Position);
        Assert.Equal(2, stream.Seek(-1, SeekOrigin.Current));
        Assert.Equal(10, stream.Seek(7, SeekOrigin.End));
        Assert.Throws<ArgumentException>(() => stream.Seek(0, (SeekOrigin)3));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Seek(long.MaxValue, SeekOrigin.Current));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Position = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.SetLength(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.SetLength((long)Array.MaxLength + 1));
        stream.Position = Array.MaxLength;
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Position = (long)Array.MaxLength + 1);
        stream.Position = Array.MaxLength - 1;
        Assert.Throws<IOException>(() => stream.Write([4, 5]));
        Assert.Equal(3, stream.Length);
        Assert.Equal(0, stream.Read(new byte[4]));
        Assert.Throws<ArgumentNullException>(() => stream.Write(null!, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Read(new byte[4], 2, 3));
        Assert.Throws<ArgumentNullException>(() => new KindStream(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KindStream(MemoryKind.Default, 0));
    }

    [Fact]
    public void AFullKindThrowsOutOfMemoryAndLeavesTheStreamUsable()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize);
        long baseline = kind.GetStats().Allocated;
        var stream = new KindStream(kind);
        const int Chunk = 1 << 20;
        long written = 0;
        while (true)
        {
            try
            {
                stream.Write(Pattern(written, Chunk));
            }
            catch (OutOfMemoryException)
            {
                break;
            }
            written += Chunk;
        }
        Assert.InRange(written, 8 * Chunk, 16 * Chunk);
        Assert.Equal(written, stream.Length);
        Assert.Equal(written, stream.Position);

        // A write that needs many segments fails as a whole: the ones it got are given back.
        long allocated = kind.GetStats().Allocated;
        stream.Position = 4 * Chunk + 100;
        Assert.Throws<OutOfMemoryException>(() => stream.Write(new byte[(int)written]));
        Assert.Equal(allocated, kind.GetStats().Allocated);
        Assert.Equal(written, stream.Length);
        Assert.Equal(4 * Chunk + 100, stream.Position);
        Assert.Equal(Pattern(0, (int)written), ReadAll(stream));

        stream.SetLength(written / 2);
        stream.Seek(0, SeekOrigin.End);
        stream.Write(Pattern(written / 2, Chunk));
        Assert.Equal(Pattern(0, (int)(written / 2) + Chunk), ReadAll(stream));
        stream.Dispose();
        Assert.Equal(baseline, kind.GetStats().Allocated);
    }

    [Theory]
    [MemberData(nameof(SafeKinds.Pmem), MemberType = typeof(SafeKinds))]
    public async Task DisposeFreesEverythingAndLaterUseThrows(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which);
        long baseline = kind.GetStats().Allocated;
        var stream = new KindStream(kind, segmentSize: 8192);
        stream.Write(Pattern(0, 100_000));
        stream.Dispose();
        stream.Dispose(); // harmless
        if (which != "hardened") Assert.Equal(baseline, kind.GetStats().Allocated); // hardened kinds quarantine freed blocks
        AssertUnusable(stream);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => stream.ReadAsync(new byte[1]).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => stream.WriteAsync(new byte[1]).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => stream.CopyToAsync(new MemoryStream()));
        stream.Flush();
    }

    [Fact]
    public void AStreamOfADisposedKindThrowsObjectDisposed()
    {
        MemoryKind kind = SafeKinds.Create("tmpfs");
        var stream = new KindStream(kind);
        stream.Write(Pattern(0, 70_000));
        kind.Dispose();
        AssertUnusable(stream);
        stream.Dispose(); // nothing to free: the kind's memory is gone
        Assert.Throws<ObjectDisposedException>(() => new KindStream(kind));
    }

    [Fact]
    public async Task AsynchronousCallsCompleteSynchronouslyAndHonourCancellation()
    {
        using var stream = new KindStream(MemoryKind.Default);
        Assert.True(stream.WriteAsync(new byte[] { 1, 2, 3 }).IsCompletedSuccessfully);
        Assert.True(stream.FlushAsync().IsCompletedSuccessfully);
        stream.Position = 0;
        ValueTask<int> read = stream.ReadAsync(new byte[10]);
        Assert.True(read.IsCompletedSuccessfully);
        Assert.Equal(3, await read);

        using var canceled = new CancellationTokenSource();
        canceled.Cancel();
        Assert.True(stream.WriteAsync(new byte[] { 4 }, canceled.Token).IsCanceled);
        Assert.True(stream.ReadAsync(new byte[1], canceled.Token).IsCanceled);
        Assert.True(stream.WriteAsync(new byte[1], 0, 1, canceled.Token).IsCanceled);
        Assert.True(stream.ReadAsync(new byte[1], 0, 1, canceled.Token).IsCanceled);
        Assert.True(stream.FlushAsync(canceled.Token).IsCanceled);
        Assert.Equal(3, stream.Length);
    }

    internal static byte[] Pattern(long start, int count)
    {
        var bytes = new byte[count];
        for (int i = 0; i < count; i++) bytes[i] = SafeKinds.PatternAt(start + i);
        return bytes;
    }

    /// <summary>Every byte of the stream, read from the start; the position is left where it was.</summary>
    internal static byte[] ReadAll(Stream stream)
    {
        long position = stream.Position;
        stream.Position = 0;
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        stream.Position = position;
        return copy.ToArray();
    }

    private static void AssertUnusable(KindStream stream)
    {
        Assert.False(stream.CanRead);
        Assert.False(stream.CanWrite);
        Assert.False(stream.CanSeek);
        Assert.Throws<ObjectDisposedException>(() => stream.Length);
        Assert.Throws<ObjectDisposedException>(() => stream.Position);
        Assert.Throws<ObjectDisposedException>(() => stream.Position = 0);
        Assert.Throws<ObjectDisposedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<ObjectDisposedException>(() => stream.SetLength(0));
        Assert.Throws<ObjectDisposedException>(() => stream.Read(new byte[1]));
        Assert.Throws<ObjectDisposedException>(() => stream.Read(new byte[1], 0, 1));
        Assert.Throws<ObjectDisposedException>(() => stream.ReadByte());
        Assert.Throws<ObjectDisposedException>(() => stream.Write(new byte[1]));
        Assert.Throws<ObjectDisposedException>(() => stream.Write(new byte[1], 0, 1));
        Assert.Throws<ObjectDisposedException>(() => stream.WriteByte(1));
        Assert.Throws<ObjectDisposedException>(() => stream.CopyTo(new MemoryStream()));
    }
}
