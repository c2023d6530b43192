using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace MemoryKinds.Tests.SafeSurface;

/// <summary>KindBufferWriter: an IBufferWriter&lt;byte&gt; that grows in segments of a kind and reads back as a ReadOnlySequence.</summary>
public class BufferWriterTests
{
    [Theory]
    [MemberData(nameof(SafeKinds.All), MemberType = typeof(SafeKinds))]
    public unsafe void WrittenSequenceHoldsEveryByteInTheKindsSegments(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which);
        using var writer = new KindBufferWriter(kind, segmentSize: 4096);
        var random = new Random(17);
        long expected = 0;
        while (expected < 200_000)
        {
            int hint = random.Next(4) switch { 0 => 0, 1 => random.Next(1, 100), 2 => random.Next(100, 4096), _ => random.Next(4097, 20_000) };
            Span<byte> span = writer.GetSpan(hint);
            Assert.True(span.Length >= Math.Max(hint, 1));
            int count = random.Next(0, Math.Min(span.Length, Math.Max(hint, 1) * 2) + 1);
            for (int i = 0; i < count; i++) span[i] = SafeKinds.PatternAt(expected + i);
            writer.Advance(count);
            expected += count;
            Assert.Equal(expected, writer.WrittenCount);
        }

        ReadOnlySequence<byte> written = writer.WrittenSequence;
        Assert.Equal(expected, written.Length);
        Assert.False(written.IsSingleSegment);
        byte[] bytes = written.ToArray();
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != SafeKinds.PatternAt(i)) Assert.Fail($"Byte {i} is {bytes[i]}, expected {SafeKinds.PatternAt(i)}.");
        }
        foreach (ReadOnlyMemory<byte> segment in written)
        {
            if (segment.IsEmpty) continue;
            Assert.True(MemoryMarshal.TryGetMemoryManager(segment, out KindMemoryOwner<byte>? owner));
            Assert.Same(kind, owner!.Kind);
            fixed (byte* p = segment.Span) Assert.Same(kind, MemoryKind.Detect(p));
        }
    }

    [Fact]
    public void ASizeHintLargerThanASegmentGetsASegmentThatLarge()
    {
        using MemoryKind kind = SafeKinds.Create("tmpfs");
        using var writer = new KindBufferWriter(kind, segmentSize: 1024);
        Assert.Equal(1024, writer.SegmentSize);
        Assert.Equal(1024, writer.GetMemory().Length);
        writer.Advance(1000);
        Assert.Equal(24, writer.GetMemory(24).Length); // the rest of the current segment is enough
        Memory<byte> large = writer.GetMemory(100_000);
        Assert.Equal(100_000, large.Length);
        large.Span.Fill(7);
        writer.Advance(100_000);
        Assert.Equal(101_000, writer.WrittenCount);
        Assert.Equal(2, CountSegments(writer.WrittenSequence)); // the unused 24 bytes of the first segment are skipped
        Assert.True(writer.WrittenSequence.Slice(1000).ToArray().AsSpan().IndexOfAnyExcept((byte)7) < 0);
        Assert.Equal(1024, writer.GetSpan(1).Length); // back to ordinary segments
    }

    [Fact]
    public void AdvanceRefusesNegativeCountsAndCountsPastTheLastBuffer()
    {
        using var writer = new KindBufferWriter(MemoryKind.Default, segmentSize: 256);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(1)); // no buffer yet
        writer.Advance(0);
        Memory<byte> buffer = writer.GetMemory(10);
        Assert.Equal(256, buffer.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(257));
        writer.Advance(200);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(57)); // only 56 left
        writer.Advance(56);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(1));
        Assert.Equal(256, writer.WrittenCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.GetMemory(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.GetSpan(-1));
        Assert.Throws<ArgumentNullException>(() => new KindBufferWriter(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KindBufferWriter(MemoryKind.Default, 0));
    }

    [Fact]
    public void ResetFreesTheSegmentsAndAStaleSequenceThrowsInsteadOfShowingNewBytes()
    {
        using MemoryKind kind = SafeKinds.Create("tmpfs");
        long baseline = kind.GetStats().Allocated;
        using var writer = new KindBufferWriter(kind, segmentSize: 8192);
        Fill(writer, 50_000, 1);
        Assert.True(kind.GetStats().Allocated >= baseline + 50_000);
        ReadOnlySequence<byte> stale = writer.WrittenSequence;

        writer.Reset();
        Assert.Equal(0, writer.WrittenCount);
        Assert.True(writer.WrittenSequence.IsEmpty);
        Assert.Equal(baseline, kind.GetStats().Allocated);
        Assert.Throws<ObjectDisposedException>(() => stale.ToArray());

        Fill(writer, 30_000, 2);
        Assert.Equal(30_000, writer.WrittenCount);
        Assert.True(writer.WrittenSequence.ToArray().AsSpan().IndexOfAnyExcept((byte)2) < 0);
    }

    [Theory]
    [MemberData(nameof(SafeKinds.Pmem), MemberType = typeof(SafeKinds))]
    public void DisposeFreesEverySegmentAndLaterUseThrows(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which);
        long baseline = kind.GetStats().Allocated;
        var writer = new KindBufferWriter(kind, segmentSize: 4096);
        Fill(writer, 100_000, 3);
        writer.Dispose();
        writer.Dispose(); // harmless
        if (which != "hardened") Assert.Equal(baseline, kind.GetStats().Allocated); // hardened kinds quarantine freed blocks
        Assert.Throws<ObjectDisposedException>(() => writer.GetMemory());
        Assert.Throws<ObjectDisposedException>(() => writer.GetSpan());
        Assert.Throws<ObjectDisposedException>(() => writer.Advance(0));
        Assert.Throws<ObjectDisposedException>(() => writer.WrittenCount);
        Assert.Throws<ObjectDisposedException>(() => writer.WrittenSequence);
        Assert.Throws<ObjectDisposedException>(() => writer.Reset());
    }

    [Fact]
    public void AWriterOfADisposedKindThrowsObjectDisposed()
    {
        MemoryKind kind = SafeKinds.Create("tmpfs");
        var writer = new KindBufferWriter(kind);
        Fill(writer, 1000, 4);
        kind.Dispose();
        Assert.Throws<ObjectDisposedException>(() => writer.GetMemory());
        Assert.Throws<ObjectDisposedException>(() => writer.WrittenSequence);
        writer.Dispose(); // nothing to free: the kind's memory is gone
        Assert.Throws<ObjectDisposedException>(() => new KindBufferWriter(kind));
    }

    [Fact]
    public void AFullKindThrowsOutOfMemoryAndLeavesTheWriterAsItWas()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize);
        using var writer = new KindBufferWriter(kind, segmentSize: 1 << 20);
        Fill(writer, 3 << 20, 5);
        Assert.Throws<OutOfMemoryException>(() => writer.GetMemory(32 << 20));
        Assert.Equal(3 << 20, writer.WrittenCount);
        int filled = 0;
        try
        {
            while (true)
            {
                writer.GetSpan(1 << 20).Fill(6);
                writer.Advance(1 << 20);
                filled++;
            }
        }
        catch (OutOfMemoryException)
        {
        }
        Assert.InRange(filled, 1, 13);
        Assert.Equal((3L + filled) << 20, writer.WrittenCount);
        byte[] bytes = writer.WrittenSequence.ToArray();
        Assert.True(bytes.AsSpan(0, 3 << 20).IndexOfAnyExcept((byte)5) < 0);
        Assert.True(bytes.AsSpan(3 << 20).IndexOfAnyExcept((byte)6) < 0);
        writer.Reset();
        Assert.Equal(0, kind.GetStats().Allocated);
        Fill(writer, 10 << 20, 7); // usable again
    }

    [Fact]
    public void JsonSerializerWritesIntoItAndReadsBackFromTheSequence()
    {
        using MemoryKind kind = SafeKinds.Create("tmpfs");
        KindStreamInteropTests.Order[] orders = KindStreamInteropTests.Orders();
        using var writer = new KindBufferWriter(kind, segmentSize: 4096);
        using (var json = new Utf8JsonWriter(writer)) JsonSerializer.Serialize(json, orders);

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(orders), writer.WrittenSequence.ToArray());
        Assert.False(writer.WrittenSequence.IsSingleSegment);
        var reader = new Utf8JsonReader(writer.WrittenSequence);
        KindStreamInteropTests.AssertSameOrders(orders, JsonSerializer.Deserialize<KindStreamInteropTests.Order[]>(ref reader));
    }

    private static void Fill(KindBufferWriter writer, int count, byte value)
    {
        while (count > 0)
        {
            Span<byte> span = writer.GetSpan();
            int n = Math.Min(span.Length, count);
            span[..n].Fill(value);
            writer.Advance(n);
            count -= n;
        }
    }

    private static int CountSegments(ReadOnlySequence<byte> sequence)
    {
        int count = 0;
        foreach (ReadOnlyMemory<byte> _ in sequence) count++;
        return count;
    }
}
