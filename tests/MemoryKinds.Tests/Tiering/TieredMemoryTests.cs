using System.Diagnostics.Metrics;

namespace MemoryKinds.Tests.Tiering;

/// <summary>TieredMemory's fallback when a tier is full, its pointer checks, Realloc, the other allocation forms and Dispose.</summary>
public unsafe class TieredMemoryTests
{
    [Theory]
    [InlineData(TierPolicy.StaticRatio)]
    [InlineData(TierPolicy.DynamicThreshold)]
    public void ABoundedFastTierNeverFailsAnAllocationWhileTheOtherHasRoom(TierPolicy policy)
    {
        using MemoryKind fast = TieringTestKinds.Dram("fallback", 16 << 20);
        using PmemKind slow = TieringTestKinds.Pmem();
        // 4:1 sends most bytes (StaticRatio) or, with the threshold pushed up, the small blocks (DynamicThreshold) to the small tier.
        using TieredMemory tiers = TieredMemory.Create(policy, (fast, 4), (slow, 1));
        long fallbacks = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MemoryKind.MeterName && instrument.Name == "memorykinds.tier.fallbacks") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == MemoryKind.KindTagName && (string?)tag.Value == fast.Name) Interlocked.Add(ref fallbacks, value);
            }
        });
        listener.Start();

        var blocks = new TierBlocks(tiers);
        for (int i = 0; i < 40_000; i++) blocks.Alloc(1000); // 40 MB: more than the fast tier holds
        Assert.InRange(tiers.AllocatedBytes(fast), 1, 16 << 20);
        Assert.True(tiers.AllocatedBytes(slow) >= 40_000L * 1000 - (16 << 20));
        Assert.True(Interlocked.Read(ref fallbacks) > 0, "No fallback was counted on the meter.");
        Assert.Equal(blocks.HeldBy(fast), tiers.AllocatedBytes(fast));
        Assert.Equal(blocks.HeldBy(slow), tiers.AllocatedBytes(slow));
        blocks.FreeAll();
    }

    [Fact]
    public void WhenEveryTierIsFullAllocationFails()
    {
        using MemoryKind a = TieringTestKinds.Dram("full-a", 16 << 20);
        using MemoryKind b = TieringTestKinds.Dram("full-b", 16 << 20);
        using TieredMemory tiers = TieredMemory.Create(TierPolicy.StaticRatio, (a, 1), (b, 1));
        Assert.True(tiers.TryAlloc(64 << 20) == null);
        Assert.Throws<OutOfMemoryException>(() => tiers.Alloc(64 << 20));
        Assert.Equal(0, tiers.AllocatedBytes(a) + tiers.AllocatedBytes(b));
    }

    /// <summary>The Try forms return null instead of throwing (the C ABI's memtier calls use them), and a failed resize leaves the block as it was.</summary>
    [Fact]
    public void TryFormsReturnNullWhenEveryTierIsFull()
    {
        using MemoryKind a = TieringTestKinds.Dram("tryfull-a", 16 << 20);
        using MemoryKind b = TieringTestKinds.Dram("tryfull-b", 16 << 20);
        using TieredMemory tiers = TieredMemory.Create(TierPolicy.StaticRatio, (a, 1), (b, 1));
        Assert.True(tiers.TryAllocZeroed(1, 64 << 20) == null);
        Assert.True(tiers.TryAllocZeroed(nuint.MaxValue / 2, 4) == null); // the product overflows
        Assert.True(tiers.TryAlignedAlloc(64 << 20, 4096) == null);
        Assert.Throws<ArgumentException>(() => tiers.TryAlignedAlloc(64, 48));
        void* p = tiers.Alloc(1000);
        TieringTestKinds.Fill(p, 1000, 3);
        long held = tiers.AllocatedBytes(a) + tiers.AllocatedBytes(b);
        Assert.True(tiers.TryRealloc(p, 64 << 20) == null);
        Assert.True(TieringTestKinds.Holds(p, 1000, 3));
        Assert.Equal(held, tiers.AllocatedBytes(a) + tiers.AllocatedBytes(b));
        Assert.Throws<OutOfMemoryException>(() => tiers.Realloc(p, 64 << 20));
        void* zeroed = tiers.TryAllocZeroed(10, 100);
        Assert.True(zeroed != null && new ReadOnlySpan<byte>(zeroed, 1000).IndexOfAnyExcept((byte)0) < 0);
        tiers.Free(zeroed);
        tiers.Free(p);
        Assert.Equal(0, tiers.AllocatedBytes(a) + tiers.AllocatedBytes(b));
    }

    [Fact]
    public void PointersNoTierOwnsAreRefusedAndNothingChanges()
    {
        using MemoryKind a = TieringTestKinds.Dram("refuse-a");
        using MemoryKind other = TieringTestKinds.Dram("refuse-other");
        using TieredMemory tiers = TieredMemory.Create(TierPolicy.StaticRatio, (a, 1));
        void* foreign = other.Alloc(64);
        int onStack = 0;
        void* mine = tiers.Alloc(64);
        long held = tiers.AllocatedBytes(a);
        foreach (nint p in new[] { (nint)foreign, (nint)(&onStack) })
        {
            Assert.Throws<ArgumentException>(() => tiers.Free((void*)p));
            Assert.Throws<ArgumentException>(() => tiers.GetUsableSize((void*)p));
            Assert.Throws<ArgumentException>(() => tiers.Realloc((void*)p, 128));
        }
        Assert.Equal(held, tiers.AllocatedBytes(a));
        Assert.Throws<ArgumentException>(() => tiers.AllocatedBytes(other));
        tiers.Free(mine);
        Assert.Throws<ArgumentException>(() => tiers.Free(mine)); // freed: the kind's own check
        Assert.Equal(0, tiers.AllocatedBytes(a));
        other.Free(foreign);
    }

    [Fact]
    public void ReallocStaysInItsTierAndMovesWhenItIsFull()
    {
        using MemoryKind fast = TieringTestKinds.Dram("realloc-fast", 16 << 20);
        using MemoryKind slow = TieringTestKinds.Dram("realloc-slow");
        using TieredMemory tiers = TieredMemory.Create(TierPolicy.StaticRatio, (fast, 1), (slow, 1));
        void* p = tiers.Alloc(100);
        Assert.Same(fast, MemoryKind.Detect(p));
        TieringTestKinds.Fill(p, 100, 9);
        p = tiers.Realloc(p, 4000);
        Assert.Same(fast, MemoryKind.Detect(p));
        Assert.True(TieringTestKinds.Holds(p, 100, 9));
        Assert.Equal((long)fast.GetUsableSize(p), tiers.AllocatedBytes(fast));

        p = tiers.Realloc(p, 32 << 20); // more than the fast tier holds
        Assert.Same(slow, MemoryKind.Detect(p));
        Assert.True(TieringTestKinds.Holds(p, 100, 9));
        Assert.Equal(0, tiers.AllocatedBytes(fast));
        Assert.Equal((long)slow.GetUsableSize(p), tiers.AllocatedBytes(slow));
        tiers.Free(p);
        Assert.Equal(0, tiers.AllocatedBytes(slow));
    }

    [Fact]
    public void ZeroedAndAlignedAllocationsAreCounted()
    {
        using MemoryKind a = TieringTestKinds.Dram("forms");
        using TieredMemory tiers = TieredMemory.Create(TierPolicy.StaticRatio, (a, 1));
        byte* z = (byte*)tiers.AllocZeroed(100, 10);
        Assert.True(new ReadOnlySpan<byte>(z, 1000).IndexOfAnyExcept((byte)0) < 0);
        void* aligned = tiers.AlignedAlloc(100, 4096);
        Assert.Equal(0, (long)(nuint)aligned % 4096);
        Assert.Equal((long)(a.GetUsableSize(z) + a.GetUsableSize(aligned)), tiers.AllocatedBytes(a));
        Assert.Equal(a.GetUsableSize(z), tiers.GetUsableSize(z));
        Assert.Throws<ArgumentException>(() => tiers.AlignedAlloc(100, 48));
        Assert.Throws<OutOfMemoryException>(() => tiers.AllocZeroed(nuint.MaxValue, 2));
        tiers.Free(z);
        tiers.Free(aligned);
        Assert.Equal(0, tiers.AllocatedBytes(a));
    }

    [Fact]
    public void CreateChecksItsArgumentsAndDisposeLeavesTheCallersKinds()
    {
        using MemoryKind a = TieringTestKinds.Dram("create-a");
        Assert.Throws<ArgumentException>(() => TieredMemory.Create(TierPolicy.StaticRatio));
        Assert.Throws<ArgumentNullException>(() => TieredMemory.Create(TierPolicy.StaticRatio, (null!, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => TieredMemory.Create(TierPolicy.StaticRatio, (a, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => TieredMemory.Create((TierPolicy)7, (a, 1)));
        Assert.Throws<ArgumentException>(() => TieredMemory.Create(TierPolicy.StaticRatio, (a, 1), (a, 2)));

        TieredMemory tiers = TieredMemory.Create(TierPolicy.StaticRatio, (a, 1), (MemoryKind.Default, 2));
        Assert.Equal([a, MemoryKind.Default], tiers.Kinds);
        Assert.Equal(TierPolicy.StaticRatio, tiers.Policy);
        tiers.Dispose();
        tiers.Dispose();
        Assert.False(a.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => tiers.Alloc(8));
    }
}
