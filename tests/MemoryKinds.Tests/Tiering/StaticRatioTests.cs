namespace MemoryKinds.Tests.Tiering;

/// <summary>StaticRatio keeps the tiers' bytes at their ratio after every allocation, with exact accounting.</summary>
public unsafe class StaticRatioTests
{
    [Fact]
    public void DramToPmemOneToFourStaysWithinOnePercentWhileAllocatingAndFreeingAtRandom()
    {
        using MemoryKind dram = TieringTestKinds.Dram("static");
        using PmemKind pmem = TieringTestKinds.Pmem();
        using TieredMemory tiers = TieredMemory.Create(TierPolicy.StaticRatio, (dram, 1), (pmem, 4));
        var blocks = new TierBlocks(tiers);
        var random = new Random(11);

        for (int i = 0; i < 10_000; i++) blocks.Alloc(TierBlocks.LogUniformSize(random));
        Assert.InRange(TierBlocks.FirstShare(tiers), 0.19, 0.21);
        Assert.Equal(blocks.HeldBy(dram), tiers.AllocatedBytes(dram));
        Assert.Equal(blocks.HeldBy(pmem), tiers.AllocatedBytes(pmem));

        // Random frees, each followed by an allocation: the share is checked after every one.
        double worst = 0;
        for (int i = 0; i < 10_000; i++)
        {
            blocks.FreeAt(random.Next(blocks.Count));
            blocks.Alloc(TierBlocks.LogUniformSize(random));
            worst = Math.Max(worst, Math.Abs(TierBlocks.FirstShare(tiers) - 0.2));
        }
        Assert.True(worst <= 0.01, $"The DRAM share strayed {worst:F4} from 0.2.");
        Assert.Equal(blocks.HeldBy(dram), tiers.AllocatedBytes(dram));
        Assert.Equal(blocks.HeldBy(pmem), tiers.AllocatedBytes(pmem));

        blocks.FreeAll();
        Assert.Equal(0, tiers.AllocatedBytes(dram));
        Assert.Equal(0, tiers.AllocatedBytes(pmem));
    }

    [Fact]
    public void ThreeTiersFollowTheirRatios()
    {
        using MemoryKind a = TieringTestKinds.Dram("static-a");
        using MemoryKind b = TieringTestKinds.Dram("static-b");
        using MemoryKind c = TieringTestKinds.Dram("static-c");
        using TieredMemory tiers = TieredMemory.Create(TierPolicy.StaticRatio, (a, 1), (b, 2), (c, 5));
        var blocks = new TierBlocks(tiers);
        var random = new Random(3);
        for (int i = 0; i < 5_000; i++) blocks.Alloc(TierBlocks.LogUniformSize(random, 16, 64 << 10));
        double total = tiers.AllocatedBytes(a) + tiers.AllocatedBytes(b) + tiers.AllocatedBytes(c);
        Assert.InRange(tiers.AllocatedBytes(a) / total, 1 / 8.0 - 0.01, 1 / 8.0 + 0.01);
        Assert.InRange(tiers.AllocatedBytes(b) / total, 2 / 8.0 - 0.01, 2 / 8.0 + 0.01);
        Assert.InRange(tiers.AllocatedBytes(c) / total, 5 / 8.0 - 0.01, 5 / 8.0 + 0.01);
        blocks.FreeAll();
    }
}
