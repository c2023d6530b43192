namespace MemoryKinds.Tests.Tiering;

/// <summary>MemoryKind.MoveTo: copies the usable bytes into the target, frees the block here; null and untouched on failure.</summary>
public unsafe class MoveToTests
{
    [Theory]
    [InlineData(24)]            // a small size class
    [InlineData(3000)]
    [InlineData(5 << 20)]       // a large block
    public void MovesContentsBothWaysKeepingTheUsableSize(int size)
    {
        using PmemKind pmem = TieringTestKinds.Pmem();
        using MemoryKind dram = TieringTestKinds.Dram("move");
        void* p = dram.Alloc((nuint)size);
        nuint usable = dram.GetUsableSize(p);
        TieringTestKinds.Fill(p, usable, 7);

        void* demoted = dram.MoveTo(p, pmem);
        Assert.True(demoted != null);
        Assert.Same(pmem, MemoryKind.Detect(demoted));
        Assert.True(pmem.GetUsableSize(demoted) >= usable);
        Assert.True(TieringTestKinds.Holds(demoted, usable, 7));
        Assert.Throws<ArgumentException>(() => dram.GetUsableSize(p)); // freed in the source kind
        Assert.Equal(0, dram.GetStats().Allocated);

        void* promoted = pmem.MoveTo(demoted, dram);
        Assert.True(promoted != null);
        Assert.Same(dram, MemoryKind.Detect(promoted));
        Assert.True(TieringTestKinds.Holds(promoted, usable, 7));
        Assert.Equal(0, pmem.GetStats().Allocated);
        dram.Free(promoted);
    }

    [Fact]
    public void MovingToTheSameKindReturnsThePointer()
    {
        using MemoryKind dram = TieringTestKinds.Dram("move-same");
        void* p = dram.Alloc(100);
        Assert.True(dram.MoveTo(p, dram) == p);
        Assert.Equal(dram.GetUsableSize(p), (nuint)dram.GetStats().Allocated);
        dram.Free(p);
    }

    [Fact]
    public void AFullTargetGivesNullAndLeavesTheBlockUntouched()
    {
        using MemoryKind full = TieringTestKinds.Dram("move-full", 4 << 20);
        using MemoryKind source = TieringTestKinds.Dram("move-src");
        void* p = source.Alloc(8 << 20);
        TieringTestKinds.Fill(p, 8 << 20, 3);

        Assert.True(source.MoveTo(p, full) == null);
        Assert.True(TieringTestKinds.Holds(p, 8 << 20, 3));
        Assert.Same(source, MemoryKind.Detect(p));
        Assert.True(source.GetUsableSize(p) >= 8 << 20);
        Assert.Equal(0, full.GetStats().Allocated);
        source.Free(p);
    }

    [Fact]
    public void ForeignFreedAndNullPointersAreRefused()
    {
        using MemoryKind a = TieringTestKinds.Dram("move-a");
        using MemoryKind b = TieringTestKinds.Dram("move-b");
        void* ofB = b.Alloc(64);
        Assert.Throws<ArgumentException>(() => a.MoveTo(ofB, b));
        Assert.Throws<ArgumentException>(() => a.MoveTo(ofB, a));
        Assert.Throws<ArgumentException>(() => a.MoveTo(null, b));
        Assert.Throws<ArgumentNullException>(() => b.MoveTo(ofB, null!));
        Assert.Equal(b.GetUsableSize(ofB), (nuint)b.GetStats().Allocated); // still live in b
        b.Free(ofB);
        Assert.Throws<ArgumentException>(() => b.MoveTo(ofB, a));
        Assert.Equal(0, a.GetStats().Allocated);
    }
}

/// <summary>TieredMemory.MoveTo: MemoryKind.MoveTo between tiers with the tiers' byte counts kept right.</summary>
public unsafe class TieredMoveToTests
{
    [Fact]
    public void MovingBetweenTiersMovesTheCountedBytes()
    {
        using MemoryKind fast = TieringTestKinds.Dram("tmove-fast", 16 << 20);
        using PmemKind slow = TieringTestKinds.Pmem();
        using MemoryKind outside = TieringTestKinds.Dram("tmove-outside");
        using TieredMemory tiers = TieredMemory.Create(TierPolicy.StaticRatio, (fast, 1), (slow, 1));
        void* p = tiers.Alloc(5000);
        Assert.Same(fast, MemoryKind.Detect(p));
        long usable = (long)fast.GetUsableSize(p);
        TieringTestKinds.Fill(p, 5000, 1);

        void* demoted = tiers.MoveTo(p, slow);
        Assert.Same(slow, MemoryKind.Detect(demoted));
        Assert.True(TieringTestKinds.Holds(demoted, 5000, 1));
        Assert.Equal(0, tiers.AllocatedBytes(fast));
        Assert.Equal((long)slow.GetUsableSize(demoted), tiers.AllocatedBytes(slow));
        Assert.True(tiers.MoveTo(demoted, slow) == demoted);

        Assert.Throws<ArgumentException>(() => tiers.MoveTo(demoted, outside));
        void* big = tiers.Alloc(32 << 20); // lands in the slow tier: the fast one is too small
        Assert.True(tiers.MoveTo(big, fast) == null);
        Assert.Same(slow, MemoryKind.Detect(big));

        void* promoted = tiers.MoveTo(demoted, fast);
        Assert.Equal(usable, tiers.AllocatedBytes(fast));
        tiers.Free(promoted);
        tiers.Free(big);
        Assert.Equal(0, tiers.AllocatedBytes(fast) + tiers.AllocatedBytes(slow));
    }
}
