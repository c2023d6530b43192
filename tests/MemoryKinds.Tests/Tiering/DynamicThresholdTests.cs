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

    /// <summary>
    /// Two threads placing at once: each checks from its own view (its exact bytes, the other's as last read, its own
    /// last difference), and only a move of the shared threshold is serialized; together they still converge and follow
    /// the change. The threshold keeps stepping by 15% around its goal, and two threads may step it at nearly the same
    /// time, so the change is judged by its average over the second half of each phase, not by one reading.
    /// </summary>
    [Fact]
    public void ConvergesWithTwoThreadsPlacingAtOnce()
    {
        using MemoryKind dram = TieringTestKinds.Dram("dyn-two");
        using PmemKind pmem = TieringTestKinds.Pmem();
        using TieredMemory tiers = TieredMemory.Create(TierPolicy.DynamicThreshold, (dram, 1), (pmem, 4));
        var blocks = new[] { new TierBlocks(tiers), new TierBlocks(tiers) };
        // Both threads churn; the first also reads the threshold every 1,000 steps of the phase's second half.
        double ChurnBoth(int maxSize, int steps)
        {
            var readings = new List<nuint>();
            var threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
            {
                var random = new Random(11 + t + maxSize);
                for (int done = 0; done < steps; done += 1000)
                {
                    Churn(blocks[t], random, maxSize, 1000);
                    if (t == 0 && done >= steps / 2) readings.Add(tiers.Threshold!.Value);
                }
            })).ToArray();
            foreach (Thread thread in threads) thread.Start();
            foreach (Thread thread in threads) thread.Join();
            return readings.Average(r => (double)r);
        }

        for (int i = 0; i < 10_000; i++)
        {
            blocks[0].Alloc((nuint)(16 + i % 2033));
            blocks[1].Alloc((nuint)(16 + (i * 7) % 2033));
        }
        double before = ChurnBoth(2048, 100_000);
        Assert.InRange(TierBlocks.FirstShare(tiers), 0.15, 0.25);
        double after = ChurnBoth(3000, 150_000);
        Assert.InRange(TierBlocks.FirstShare(tiers), 0.15, 0.25);
        Assert.True(after > before, $"The threshold averaged {after:F0} after the sizes grew, {before:F0} before.");
        Assert.Equal(blocks[0].HeldBy(dram) + blocks[1].HeldBy(dram), tiers.AllocatedBytes(dram));
        Assert.Equal(blocks[0].HeldBy(pmem) + blocks[1].HeldBy(pmem), tiers.AllocatedBytes(pmem));
        blocks[0].FreeAll();
        blocks[1].FreeAll();
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
    public void NeedsTwoTiersOrMore()
    {
        using MemoryKind a = TieringTestKinds.Dram("dyn-two-a");
        using MemoryKind b = TieringTestKinds.Dram("dyn-two-b");
        using MemoryKind c = TieringTestKinds.Dram("dyn-two-c");
        Assert.Throws<ArgumentException>(() => TieredMemory.Create(TierPolicy.DynamicThreshold, (a, 1)));
        Assert.Throws<ArgumentException>(() => TieredMemory.Create(new DynamicThresholdOptions(), (a, 1)));
        using TieredMemory three = TieredMemory.Create(TierPolicy.DynamicThreshold, (a, 1), (b, 2), (c, 3));
        // memkind's defaults: 1024 in [512, 1535], then 2048 in [1536, 2559].
        Assert.Equal((nuint)1024, three.ThresholdAt(0));
        Assert.Equal((nuint)2048, three.ThresholdAt(1));
        Assert.Equal(new TierThreshold(2048, 1536, 2559), TierThreshold.Default(1));
    }

    [Fact]
    public void ChainedThresholdsSplitThreeTiersBySize()
        => AssertFixedThresholdsPlace(100, 1000, (99, 0), (999, 1), (1000, 2));

    [Fact]
    public void EqualChainedThresholdsSkipTheTierBetweenThem()
        // Threshold 0's maximum may equal threshold 1's minimum, so both can stand at one value: a size below it goes to
        // the first tier, a size at or above it past both thresholds to the last (memkind's first-threshold-above rule,
        // which the placement computes as a count of the thresholds the size reaches).
        => AssertFixedThresholdsPlace(500, 500, (499, 0), (500, 2), (501, 2));

    /// <summary>Three tiers whose two thresholds are fixed (min = val = max, so they never move): each size goes to its tier.</summary>
    private static void AssertFixedThresholdsPlace(nuint first, nuint second, params (nuint Size, int Tier)[] expected)
    {
        using MemoryKind a = TieringTestKinds.Dram("dyn-fixed-a");
        using MemoryKind b = TieringTestKinds.Dram("dyn-fixed-b");
        using MemoryKind c = TieringTestKinds.Dram("dyn-fixed-c");
        var options = new DynamicThresholdOptions { Thresholds = [new(first, first, first), new(second, second, second)], CheckCount = 1 };
        using TieredMemory tiers = TieredMemory.Create(options, (a, 1), (b, 1), (c, 1));
        MemoryKind[] kinds = [a, b, c];
        var blocks = new List<nint>();
        foreach ((nuint size, int tier) in expected)
        {
            void* p = tiers.Alloc(size);
            blocks.Add((nint)p);
            Assert.Same(kinds[tier], MemoryKind.Detect(p));
        }
        foreach (nint p in blocks) tiers.Free((void*)p);
        Assert.Equal(0, tiers.AllocatedBytes(a) + tiers.AllocatedBytes(b) + tiers.AllocatedBytes(c));
    }

    [Fact]
    public void CheckCountAndDegreeAreTheOptions()
    {
        using MemoryKind a = TieringTestKinds.Dram("dyn-opt-a");
        using MemoryKind b = TieringTestKinds.Dram("dyn-opt-b");
        using MemoryKind c = TieringTestKinds.Dram("dyn-opt-c");
        var options = new DynamicThresholdOptions
        {
            Thresholds = [new(1000, 500, 3000), new(4000, 3000, 100_000)],
            CheckCount = 5,
            Degree = 0.5f,
        };
        using TieredMemory tiers = TieredMemory.Create(options, (a, 1), (b, 1), (c, 1));
        var blocks = new TierBlocks(tiers);
        // Everything goes to the last tier, so the earlier tiers are empty and both thresholds rise at each check.
        for (int i = 0; i < 4; i++) blocks.Alloc(64 << 10);
        Assert.Equal((nuint)1000, tiers.ThresholdAt(0));
        blocks.Alloc(64 << 10);
        Assert.Equal((nuint)1500, tiers.ThresholdAt(0));
        Assert.Equal((nuint)6000, tiers.ThresholdAt(1));
        for (int i = 0; i < 5; i++) blocks.Alloc(64 << 10);
        Assert.Equal((nuint)2250, tiers.ThresholdAt(0));
        for (int i = 0; i < 5; i++) blocks.Alloc(64 << 10);
        Assert.Equal((nuint)2250, tiers.ThresholdAt(0)); // 3375 would pass the maximum, 3000
        Assert.Equal((nuint)13500, tiers.ThresholdAt(1));
        blocks.FreeAll();
    }

    [Fact]
    public void OptionsMemkindRefusesAreArgumentExceptions()
    {
        using MemoryKind a = TieringTestKinds.Dram("dyn-bad-a");
        using MemoryKind b = TieringTestKinds.Dram("dyn-bad-b");
        using MemoryKind c = TieringTestKinds.Dram("dyn-bad-c");
        void Refused(DynamicThresholdOptions options, params (MemoryKind, int)[] tiers)
            => Assert.Equal("options", Assert.Throws<ArgumentException>(() => TieredMemory.Create(options, tiers)).ParamName);
        Refused(new() { Thresholds = [new(1000, 1001, 2000)] }, (a, 1), (b, 1));      // min above val
        Refused(new() { Thresholds = [new(1000, 10, 999)] }, (a, 1), (b, 1));         // val above max
        Refused(new() { Thresholds = [new(100, 10, 2000), new(3000, 1999, 4000)] }, (a, 1), (b, 1), (c, 1)); // ranges overlap
        Refused(new() { Thresholds = [TierThreshold.Default(0)] }, (a, 1), (b, 1), (c, 1)); // one threshold for three tiers
        Refused(new() { Trigger = -0.5f }, (a, 1), (b, 1));
        Refused(new() { Degree = -1.5f }, (a, 1), (b, 1));
        Refused(new() { Degree = float.NaN }, (a, 1), (b, 1));
        Refused(new() { CheckCount = 0 }, (a, 1), (b, 1));
        Assert.Throws<ArgumentNullException>(() => TieredMemory.Create((DynamicThresholdOptions)null!, (a, 1), (b, 1)));
        // Adjacent ranges may touch.
        TieredMemory.Create(new DynamicThresholdOptions { Thresholds = [new(100, 10, 2000), new(3000, 2000, 4000)] }, (a, 1), (b, 1), (c, 1)).Dispose();
    }
}
