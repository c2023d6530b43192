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
