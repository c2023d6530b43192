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

    /// <summary>
    /// Two tiers decide in integers (StaticRatioPlacement.ChooseOfTwo): the answer must be the rule's, the tier with the
    /// larger deficit after the allocation (the first on a tie), here computed exactly in 128-bit integers; the general
    /// comparison in doubles must agree except on exact ties and sizes beyond every tier, where it rounds.
    /// </summary>
    [Theory]
    [InlineData(1, 4)]
    [InlineData(3, 1)]
    [InlineData(1, 1)]
    [InlineData(16384, 7)]
    public void TwoTiersChooseByTheExactRule(int ratio0, int ratio1)
    {
        var counters = new TierCounters(tiers: 2, period: 20);
        var placement = new StaticRatioPlacement(counters, [ratio0, ratio1]);
        var random = new Random(ratio0 * 31 + ratio1);
        ref long stripe = ref counters.OwnStripe();
        int compared = 0;
        for (int i = 0; i < 20_000; i++)
        {
            // Small counts make exact ties common; large ones test the range (bytes held stay below 2^47).
            long limit = i % 2 == 0 ? 4096 : 1L << 46;
            long held0 = random.NextInt64(limit), held1 = random.NextInt64(limit);
            bool huge = i % 7 == 0;
            nuint size = huge ? nuint.MaxValue - (nuint)random.Next(1000) : (nuint)random.NextInt64(1, i % 2 == 0 ? 4096 : 1L << 40);
            counters.Add(0, held0 - counters.Sum(0));
            counters.Add(1, held1 - counters.Sum(1));

            (int expected, bool tie) = ExactChoice(ratio0, ratio1, held0, held1, size);
            Assert.Equal(expected, placement.Choose(size, ref stripe));
            if (huge || tie) continue;
            Assert.Equal(expected, placement.ChooseAmongTiers(size, ref stripe));
            compared++;
        }
        Assert.True(compared > 10_000, $"only {compared} cases compared with the double comparison");
    }

    /// <summary>The tier whose target share exceeds its bytes by more once the allocation is counted in it (tier 0 on a tie), and whether it was a tie.</summary>
    private static (int Tier, bool Tie) ExactChoice(long ratio0, long ratio1, long held0, long held1, nuint size)
    {
        // Sizes beyond 2^46 fit no tier; the placement compares them as 2^46.
        Int128 s = Math.Min((ulong)size, 1UL << 46);
        Int128 after = (Int128)held0 + held1 + s;
        // deficit_i × (ratio0 + ratio1) = ratio_i × after - (ratio0 + ratio1) × (held_i + size)
        Int128 sum = ratio0 + ratio1;
        Int128 deficit0 = ratio0 * after - sum * (held0 + s);
        Int128 deficit1 = ratio1 * after - sum * (held1 + s);
        return (deficit1 > deficit0 ? 1 : 0, deficit1 == deficit0);
    }
}
