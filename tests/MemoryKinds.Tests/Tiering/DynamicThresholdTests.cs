namespace MemoryKinds.Tests.Tiering;

/// <summary>DynamicThreshold: small allocations to the first tier, the threshold moving until the bytes match the ratio.</summary>
public unsafe class DynamicThresholdTests
{
    /// <summary>Replaces random blocks of a live set with new ones of sizes uniform in [16, <paramref name="maxSize"/>].</summary>
    private static void Churn(TierBlocks blocks, Random random, int maxSize, int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            blocks.FreeAt(random.Next(blocks.Count));
            blocks.Alloc((nuint)random.Next(16, maxSize + 1));
        }
    }

    [Fact]
    public void StartsWithMemkindsDefaultsAndSplitsBySize()
    {
        using MemoryKind dram = TieringTestKinds.Dram("dyn-split");
        using MemoryKind slow = TieringTestKinds.Dram("dyn-split-slow");
        using TieredMemory tiers = TieredMemory.Create(TierPolicy.DynamicThreshold, (dram, 1), (slow, 4));
        Assert.Equal((nuint)1024, tiers.Threshold);
        void* small = tiers.Alloc(1023);
        void* large = tiers.Alloc(1024);
        Assert.Same(dram, MemoryKind.Detect(small));
        Assert.Same(slow, MemoryKind.Detect(large));
        tiers.Free(small);
        tiers.Free(large);
        Assert.Equal(0, tiers.AllocatedBytes(dram) + tiers.AllocatedBytes(slow));
    }

    [Fact]
    public void ConvergesOnAStationaryMixAndFollowsAChange()
    {
        using MemoryKind dram = TieringTestKinds.Dram("dyn");
        using PmemKind pmem = TieringTestKinds.Pmem();
        using TieredMemory tiers = TieredMemory.Create(TierPolicy.DynamicThreshold, (dram, 1), (pmem, 4));
        var blocks = new TierBlocks(tiers);
        var random = new Random(5);

        // Sizes uniform in [16, 2048]: a threshold near 2048 × √0.2 ≈ 916 puts a fifth of the bytes in DRAM.
        for (int i = 0; i < 20_000; i++) blocks.Alloc((nuint)random.Next(16, 2049));
        Churn(blocks, random, 2048, 200_000);
        Assert.InRange(TierBlocks.FirstShare(tiers), 0.15, 0.25);
        nuint before = tiers.Threshold!.Value;
        Assert.InRange(before, (nuint)512, (nuint)1535);

        // Larger sizes, uniform in [16, 3000]: about 3000 × √0.2 ≈ 1342 is needed now.
        Churn(blocks, random, 3000, 300_000);
        Assert.InRange(TierBlocks.FirstShare(tiers), 0.15, 0.25);
        Assert.True(tiers.Threshold > before, $"The threshold stayed at {tiers.Threshold} (was {before}) after the sizes grew.");
        Assert.Equal(blocks.HeldBy(dram), tiers.AllocatedBytes(dram));
        Assert.Equal(blocks.HeldBy(pmem), tiers.AllocatedBytes(pmem));
        blocks.FreeAll();
    }

    [Fact]
    public void TheThresholdStaysWithinItsBounds()
    {
        using MemoryKind dram = TieringTestKinds.Dram("dyn-bounds");
        using MemoryKind slow = TieringTestKinds.Dram("dyn-bounds-slow");
        using TieredMemory tiers = TieredMemory.Create(TierPolicy.DynamicThreshold, (dram, 1), (slow, 1));
        var blocks = new TierBlocks(tiers);
        // Everything is 64 KiB: no threshold in [512, 1535] can reach 1:1, so it climbs to its maximum and stops.
        for (int i = 0; i < 2_000; i++) blocks.Alloc(64 << 10);
        Assert.InRange(tiers.Threshold!.Value, (nuint)1535 - (nuint)Math.Ceiling(1535 * 0.15), (nuint)1535);
        Assert.Equal(0, tiers.AllocatedBytes(dram));
        blocks.FreeAll();
    }

    [Fact]
    public void NeedsExactlyTwoTiers()
    {
        using MemoryKind a = TieringTestKinds.Dram("dyn-two-a");
        using MemoryKind b = TieringTestKinds.Dram("dyn-two-b");
        using MemoryKind c = TieringTestKinds.Dram("dyn-two-c");
        Assert.Throws<ArgumentException>(() => TieredMemory.Create(TierPolicy.DynamicThreshold, (a, 1)));
        Assert.Throws<ArgumentException>(() => TieredMemory.Create(TierPolicy.DynamicThreshold, (a, 1), (b, 2), (c, 3)));
    }
}
