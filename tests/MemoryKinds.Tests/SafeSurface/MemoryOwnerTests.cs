using System.Buffers;
using System.Runtime.InteropServices;

namespace MemoryKinds.Tests.SafeSurface;

/// <summary>kind.Allocate&lt;T&gt;: an IMemoryOwner&lt;T&gt; built on MemoryManager&lt;T&gt; over a block of the kind.</summary>
public class MemoryOwnerTests
{
    private struct Point3
    {
        public double X, Y, Z;
    }

    [Theory]
    [MemberData(nameof(SafeKinds.All), MemberType = typeof(SafeKinds))]
    public unsafe void OwnerExposesTheBlockAsMemoryAndSpan(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which);
        using KindMemoryOwner<long> owner = kind.Allocate<long>(10_000);
        Assert.Same(kind, owner.Kind);
        Assert.Equal(10_000, owner.Length);
        Assert.Equal(10_000, owner.Memory.Length);
        Assert.Equal(10_000, owner.Span.Length);
        Assert.False(owner.IsDisposed);
        IMemoryOwner<long> asInterface = owner;
        Assert.Equal(10_000, asInterface.Memory.Length);

        Span<long> span = owner.Span;
        for (int i = 0; i < span.Length; i++) span[i] = i * 3L;
        Memory<long> memory = owner.Memory;
        Assert.Equal(9_999 * 3L, memory.Span[^1]);
        Assert.Equal(30L, memory.Slice(10, 5).Span[0]);

        // The memory is the kind's.
        Assert.True(MemoryMarshal.TryGetMemoryManager<long, KindMemoryOwner<long>>(memory, out KindMemoryOwner<long>? manager));
        Assert.Same(owner, manager);
        fixed (long* p = span)
        {
            Assert.Same(kind, MemoryKind.Detect(p));
            Assert.True(kind.GetUsableSize(p) >= 10_000 * sizeof(long));
            Assert.Equal(0, (nint)p % 16);
        }
        using MemoryHandle handle = memory.Slice(7).Pin();
        Assert.Equal(21L, *(long*)handle.Pointer);
    }

    [Theory]
    [MemberData(nameof(SafeKinds.All), MemberType = typeof(SafeKinds))]
    public unsafe void DisposeFreesTheBlockOnceAndLaterUseThrows(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which);
        bool exactStats = which is not ("default" or "hardened"); // other tests use the default kind; hardened kinds quarantine freed blocks
        long before = exactStats ? kind.GetStats().Allocated : 0;
        KindMemoryOwner<Point3> owner = kind.Allocate<Point3>(100_000);
        owner.Span[99_999] = new Point3 { X = 1, Y = 2, Z = 3 };
        Memory<Point3> memory = owner.Memory;
        if (exactStats) Assert.True(kind.GetStats().Allocated >= before + 100_000 * sizeof(Point3));

        owner.Dispose();
        owner.Dispose(); // harmless
        Assert.True(owner.IsDisposed);
        Assert.Equal(100_000, owner.Length);
        if (exactStats) Assert.Equal(before, kind.GetStats().Allocated);
        Assert.Throws<ObjectDisposedException>(() => owner.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => owner.Memory);
        Assert.Throws<ObjectDisposedException>(() => owner.GetSpan());
        Assert.Throws<ObjectDisposedException>(() => owner.Pin());
        Assert.Throws<ObjectDisposedException>(() => memory.Span[0]); // a Memory taken before the dispose
        Assert.Throws<ObjectDisposedException>(() => memory.Pin());
    }

    [Theory]
    [MemberData(nameof(SafeKinds.Pmem), MemberType = typeof(SafeKinds))]
    public void OwnerOfADisposedKindFailsCleanly(string which)
    {
        MemoryKind kind = SafeKinds.Create(which);
        KindMemoryOwner<byte> owner = kind.Allocate<byte>(1 << 20);
        owner.Span.Fill(0x5A);
        Memory<byte> memory = owner.Memory;
        kind.Dispose(); // unmaps the block
        Assert.True(owner.IsDisposed);
        ObjectDisposedException e = Assert.Throws<ObjectDisposedException>(() => owner.Span[0]);
        Assert.Contains(kind.Name, e.Message);
        Assert.Throws<ObjectDisposedException>(() => owner.Memory);
        Assert.Throws<ObjectDisposedException>(() => memory.Span[0]);
        Assert.Throws<ObjectDisposedException>(() => memory.Pin());
        owner.Dispose(); // nothing to free, no exception
        owner.Dispose();
        Assert.Throws<ObjectDisposedException>(() => kind.Allocate<int>(1));
    }

    [Theory]
    [MemberData(nameof(SafeKinds.All), MemberType = typeof(SafeKinds))]
    public void ZeroedAndEmptyAllocations(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which);
        // Dirty a block, free it, then ask for a zeroed one of the same size (likely the same block).
        using (KindMemoryOwner<byte> dirty = kind.Allocate<byte>(3000)) dirty.Span.Fill(0xFF);
        using KindMemoryOwner<int> zeroed = kind.Allocate<int>(750, zeroed: true);
        Assert.True(zeroed.Span.IndexOfAnyExcept(0) < 0);
        using KindMemoryOwner<int> empty = kind.Allocate<int>(0);
        Assert.Equal(0, empty.Length);
        Assert.True(empty.Span.IsEmpty);
        Assert.True(empty.Memory.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(SafeKinds.All), MemberType = typeof(SafeKinds))]
    public void BadLengthsThrow(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which, which == "default" ? 0 : PmemKind.MinSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => kind.Allocate<byte>(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => kind.Allocate<long>(int.MinValue));
        if (which != "default")
        {
            // int.MaxValue × 16 bytes = 32 GiB: more than a 16 MiB kind holds. (The product of two ints cannot overflow 64 bits.)
            long failures = kind.AllocationFailures;
            Assert.Throws<OutOfMemoryException>(() => kind.Allocate<Guid>(int.MaxValue));
            Assert.Throws<OutOfMemoryException>(() => kind.Allocate<Guid>(int.MaxValue, zeroed: true));
            Assert.Equal(failures + 2, kind.AllocationFailures);
        }
    }

    [Theory]
    [MemberData(nameof(SafeKinds.Pmem), MemberType = typeof(SafeKinds))]
    public async Task OwnersFreedOnOtherThreads(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which, 64L << 20);
        var owners = new System.Collections.Concurrent.BlockingCollection<KindMemoryOwner<int>>(256);
        Task consumer = Task.Run(() =>
        {
            foreach (KindMemoryOwner<int> owner in owners.GetConsumingEnumerable())
            {
                Span<int> span = owner.Span;
                if (span.IndexOfAnyExcept(owner.Length) >= 0) Assert.Fail($"A block of {owner.Length} ints was overwritten.");
                owner.Dispose();
            }
        });
        var random = new Random(5);
        for (int n = 0; n < 5_000; n++)
        {
            KindMemoryOwner<int> owner = kind.Allocate<int>(random.Next(0, 4096));
            owner.Span.Fill(owner.Length);
            owners.Add(owner);
        }
        owners.CompleteAdding();
        await consumer;
        if (!kind.IsHardened) Assert.Equal(0, kind.GetStats().Allocated); // hardened kinds keep freed blocks in quarantine
    }
}
