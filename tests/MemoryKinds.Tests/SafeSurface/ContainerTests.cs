namespace MemoryKinds.Tests.SafeSurface;

/// <summary>NativeArray&lt;T&gt; and NativeList&lt;T&gt;: typed containers on a kind (memkind's pmem::allocator counterpart).</summary>
public class ContainerTests
{
    private readonly record struct Entry(int Key, double Value);

    [Theory]
    [MemberData(nameof(SafeKinds.All), MemberType = typeof(SafeKinds))]
    public void ArrayIsZeroedBoundsCheckedAndEnumerable(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which);
        using var array = new NativeArray<Entry>(1000, kind);
        Assert.Same(kind, array.Kind);
        Assert.Equal(1000, array.Length);
        Assert.True(array.AsSpan().IndexOfAnyExcept(default(Entry)) < 0);
        for (int i = 0; i < array.Length; i++) array[i] = new Entry(i, i / 2.0);
        array[7] = array[7] with { Value = -1 };
        Assert.Equal(new Entry(7, -1), array[7]);
        Assert.Equal(new Entry(999, 499.5), array.Span[^1]);
        Assert.Equal(10, array.AsSpan(990).Length);
        Assert.Equal(new Entry(500, 250), array.AsSpan(500, 3)[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => array[-1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => array[1000]);
        Assert.Throws<ArgumentOutOfRangeException>(() => array.AsSpan(1001));

        int expected = 0;
        foreach (Entry entry in array) Assert.Equal(expected++, entry.Key); // struct enumerator
        Assert.Equal(1000, expected);
        Assert.Equal(Enumerable.Range(0, 1000), array.Select(e => e.Key)); // IEnumerable<T>
        Assert.Equal(1000, array.ToArray().Length);
        unsafe
        {
            fixed (Entry* p = array.Span) Assert.Same(kind, MemoryKind.Detect(p));
        }

        using var copy = new NativeArray<int>([1, 2, 3], kind);
        Assert.Equal([1, 2, 3], copy.ToArray());
        using var empty = new NativeArray<int>(0, kind);
        Assert.True(empty.Span.IsEmpty);
        Assert.Empty(empty);
        Assert.Throws<ArgumentOutOfRangeException>(() => new NativeArray<int>(-1, kind));
    }

    [Fact]
    public void ContainersDefaultToTheDefaultKind()
    {
        using var array = new NativeArray<byte>(10);
        using var list = new NativeList<byte> { 1 };
        Assert.Same(MemoryKind.Default, array.Kind);
        Assert.Same(MemoryKind.Default, list.Kind);
        unsafe
        {
            fixed (byte* p = list.AsSpan()) Assert.Same(MemoryKind.Default, MemoryKind.Detect(p));
        }
    }

    [Theory]
    [MemberData(nameof(SafeKinds.All), MemberType = typeof(SafeKinds))]
    public void ListGrowsThroughReallocAndKeepsItsElements(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which);
        using var list = new NativeList<long>(kind);
        Assert.Equal(0, list.Count);
        Assert.Equal(0, list.Capacity);
        Assert.True(list.AsSpan().IsEmpty);
        int reallocations = 0, capacity = 0;
        for (long i = 0; i < 300_000; i++)
        {
            list.Add(i * i);
            if (list.Capacity != capacity)
            {
                reallocations++;
                capacity = list.Capacity;
            }
        }
        Assert.Equal(300_000, list.Count);
        Assert.True(list.Capacity >= list.Count);
        Assert.InRange(reallocations, 2, 40); // geometric growth
        for (int i = 0; i < list.Count; i += 997) Assert.Equal((long)i * i, list[i]);
        Assert.Equal(299_999L * 299_999, list.Span[^1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[300_000]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[-1]);

        list.AddRange([-1, -2, -3]);
        Assert.Equal(-3, list[^1]);
        list.Insert(0, 42);
        Assert.Equal(42, list[0]);
        Assert.Equal(0, list[1]);
        list.RemoveAt(0);
        Assert.Equal(0, list[0]);
        Assert.Equal(300_003, list.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => list.Insert(300_004, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => list.RemoveAt(300_003));

        long sum = 0;
        foreach (long value in list) sum += value;
        Assert.Equal(list.ToArray().Sum(), sum);

        list.Clear();
        Assert.Equal(0, list.Count);
        Assert.True(list.Capacity >= 300_003); // Clear keeps the block
        list.Add(5);
        list.TrimExcess();
        Assert.InRange(list.Capacity, 1, 2); // the usable size of an 8-byte block may hold two
        Assert.Equal(5, list[0]);
        list.Clear();
        list.TrimExcess();
        Assert.Equal(0, list.Capacity);
        Assert.Equal(100, list.EnsureCapacity(100) >= 100 ? 100 : -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => list.EnsureCapacity(-1));
        list.Add(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => list.Capacity = 0);
        list.Capacity = 1;
        Assert.Equal(1, list[0]);
    }

    [Theory]
    [MemberData(nameof(SafeKinds.Pmem), MemberType = typeof(SafeKinds))]
    public void ListMemoryComesFromItsKindAndGoesBack(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which);
        var list = new NativeList<int>(1000, kind);
        Assert.True(list.Capacity >= 1000);
        Assert.True(kind.GetStats().Allocated >= 4000);
        for (int i = 0; i < 100_000; i++) list.Add(i);
        Assert.True(kind.GetStats().Allocated >= 400_000);
        list.Dispose();
        if (!kind.IsHardened) Assert.Equal(0, kind.GetStats().Allocated);
    }

    [Fact]
    public void ListEnumeratorDetectsChanges()
    {
        using var list = new NativeList<int> { 1, 2, 3 };
        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (int value in list) list.Add(value);
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (int value in list) list.RemoveAt(0);
        });
        // Writing through the indexer is not a structural change.
        foreach (int value in list) list[0] = value;
    }

    [Fact]
    public void ListFailsCleanlyWhenTheKindIsFull()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize);
        using var list = new NativeList<byte>(kind);
        long failures = kind.AllocationFailures;
        var chunk = new byte[1 << 20];
        Assert.Throws<OutOfMemoryException>(() =>
        {
            for (int i = 0; i < 64; i++) list.AddRange(chunk);
        });
        Assert.True(kind.AllocationFailures > failures);
        int count = list.Count;
        Assert.True(count > 0 && count % chunk.Length == 0); // unchanged by the failed growth
        list.Clear();
        list.TrimExcess();
        list.AddRange(chunk); // usable again
        Assert.Equal(chunk.Length, list.Count);
    }

    [Theory]
    [MemberData(nameof(SafeKinds.All), MemberType = typeof(SafeKinds))]
    public void DisposedContainersThrowAndDisposeTwiceIsHarmless(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which);
        var array = new NativeArray<int>(10, kind);
        var list = new NativeList<int>(kind) { 1, 2 };
        NativeList<int>.Enumerator listEnumerator = list.GetEnumerator();
        NativeArray<int>.Enumerator arrayEnumerator = array.GetEnumerator();
        array.Dispose();
        array.Dispose();
        list.Dispose();
        list.Dispose();
        Assert.True(array.IsDisposed);
        Assert.True(list.IsDisposed);
        Assert.Equal(10, array.Length);
        Assert.Throws<ObjectDisposedException>(() => array[0]);
        Assert.Throws<ObjectDisposedException>(() => array.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => array.ToArray());
        Assert.Throws<ObjectDisposedException>(() => arrayEnumerator.MoveNext());
        Assert.Throws<ObjectDisposedException>(() => list[0]);
        Assert.Throws<ObjectDisposedException>(() => list.Count);
        Assert.Throws<ObjectDisposedException>(() => list.Add(3));
        Assert.Throws<ObjectDisposedException>(() => list.AsSpan().Length);
        Assert.Throws<ObjectDisposedException>(() => list.Capacity = 10);
        Assert.Throws<ObjectDisposedException>(() => listEnumerator.MoveNext());
    }

    [Theory]
    [MemberData(nameof(SafeKinds.Pmem), MemberType = typeof(SafeKinds))]
    public void ContainersOfADisposedKindFailCleanly(string which)
    {
        MemoryKind kind = SafeKinds.Create(which);
        var array = new NativeArray<double>(100_000, kind);
        var list = new NativeList<double>(kind);
        for (int i = 0; i < 100_000; i++) list.Add(i);
        kind.Dispose(); // unmaps both blocks
        Assert.True(array.IsDisposed);
        Assert.True(list.IsDisposed);
        ObjectDisposedException e = Assert.Throws<ObjectDisposedException>(() => array[5]);
        Assert.Contains(kind.Name, e.Message);
        Assert.Throws<ObjectDisposedException>(() => array.AsSpan().Length);
        Assert.Throws<ObjectDisposedException>(() => list[5]);
        Assert.Throws<ObjectDisposedException>(() => list.Add(1));
        Assert.Throws<ObjectDisposedException>(() =>
        {
            foreach (double value in list) { }
        });
        array.Dispose(); // nothing to free
        list.Dispose();
        Assert.Throws<ObjectDisposedException>(() => new NativeList<int>(kind));
        Assert.Throws<ObjectDisposedException>(() => new NativeArray<int>(1, kind));
    }
}
