namespace MemoryKinds.Tests.SafeSurface;

/// <summary>NativeArray&lt;T&gt; past 2^31 elements: the long constructor, LongLength, the long indexer and AsSpan(long, int).</summary>
public class LongNativeArrayTests
{
    [Fact]
    public void AnArrayOfMoreThanTwoGibiElementsIsIndexedAndSlicedByLong()
    {
        using MemoryKind kind = MemoryKind.Create("nativearray-long", new AnonymousMemorySource());
        long length = (1L << 31) + 1_000_003;
        var array = new NativeArray<byte>(length, kind);
        Assert.Equal(length, array.LongLength);
        Assert.True(kind.GetStats().Allocated >= length);
        Assert.Throws<OverflowException>(() => array.Length);
        Assert.Throws<OverflowException>(() => array.Span.Length);
        Assert.Throws<OverflowException>(() => array.AsSpan().Length);
        Assert.Throws<OverflowException>(() => array.AsSpan(0).Length);
        Assert.Throws<OverflowException>(() => array.ToArray());
        Assert.Equal(1_000_004, array.AsSpan(int.MaxValue).Length); // from index 2^31 − 1 to the end

        long[] starts = [0, int.MaxValue - 2500L, (1L << 31) + 10_000, length - 5000]; // the second crosses index 2^31
        foreach (long start in starts)
        {
            Span<byte> span = array.AsSpan(start, 5000);
            Assert.True(span.IndexOfAnyExcept((byte)0) < 0); // zeroed
            for (int i = 0; i < span.Length; i++) span[i] = SafeKinds.PatternAt(start + i);
        }
        foreach (long start in starts)
        {
            for (long i = start; i < start + 5000; i += 499) Assert.Equal(SafeKinds.PatternAt(i), array[i]);
        }
        array[length - 1] = 0xEE;
        Assert.Equal(0xEE, array.AsSpan(length - 1, 1)[0]);
        Assert.Equal(0, array[(long)int.MaxValue + 500_000]); // untouched, still zero

        Assert.Throws<ArgumentOutOfRangeException>(() => array[length]);
        Assert.Throws<ArgumentOutOfRangeException>(() => array[-1L]);
        Assert.Throws<ArgumentOutOfRangeException>(() => array.AsSpan(length - 10, 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => array.AsSpan(length + 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => array.AsSpan(-1L, 1));
        Assert.True(array.AsSpan(length, 0).IsEmpty);

        array.Dispose();
        Assert.Equal(0, kind.GetStats().Allocated);
        Assert.Equal(length, array.LongLength); // still readable
        Assert.Throws<ObjectDisposedException>(() => array[0L]);
        Assert.Throws<ObjectDisposedException>(() => array.AsSpan(0L, 1));
    }

    [Theory]
    [MemberData(nameof(SafeKinds.All), MemberType = typeof(SafeKinds))]
    public void TheLongMembersAgreeWithTheIntOnesOnASmallArray(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which);
        using var array = new NativeArray<int>(1000L, kind);
        Assert.Equal(1000, array.Length);
        Assert.Equal(1000L, array.LongLength);
        for (int i = 0; i < 1000; i++) array[(long)i] = i * 3;
        for (int i = 0; i < 1000; i++) Assert.Equal(i * 3, array[i]);
        Assert.Equal(array.AsSpan(10, 20).ToArray(), array.AsSpan(10L, 20).ToArray());
        Assert.Equal(array.AsSpan(990).ToArray(), array.AsSpan(990L, 10).ToArray());
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => i * 3), array);
        Assert.Throws<ArgumentOutOfRangeException>(() => array.AsSpan(995L, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => array.AsSpan(10L, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => array.AsSpan(1001));
        Assert.Throws<ArgumentOutOfRangeException>(() => array.AsSpan(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => array[1000L]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new NativeArray<int>(-1L, kind));
        Assert.Throws<OutOfMemoryException>(() => new NativeArray<long>(long.MaxValue / 4, kind));
    }
}
