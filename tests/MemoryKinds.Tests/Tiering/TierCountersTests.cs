namespace MemoryKinds.Tests.Tiering;

/// <summary>
/// StaticRatio reads the tiers' bytes on every allocation: the calling thread's own counts at once, the other threads'
/// from a copy at most <see cref="TierCounters.RefreshEvery"/> reads old (reading their stripes each time made two threads wait on each other's lines).
/// </summary>
public class TierCountersTests
{
    [Fact]
    public void OwnCountsAreExactAtOnceAndOtherThreadsAppearWithinTheRefreshPeriod()
    {
        var counters = new TierCounters(tiers: 2, period: 20);
        Span<long> sums = stackalloc long[2];
        Assert.Equal(0, counters.SumAllNear(ref counters.OwnStripe(), sums));
        counters.Add(0, 1000);
        Assert.Equal(1000, counters.SumAllNear(ref counters.OwnStripe(), sums));      // own: exact immediately
        Assert.Equal(1000, sums[0]);

        var other = new Thread(() => counters.Add(1, 4000));
        other.Start();
        other.Join();
        Assert.Equal(5000, counters.Sum(0) + counters.Sum(1)); // the exact sums see it at once
        int reads = 1;
        while (counters.SumAllNear(ref counters.OwnStripe(), sums) != 5000) reads++;
        Assert.True(reads <= TierCounters.RefreshEvery, $"the other thread's bytes appeared after {reads} reads");
        Assert.Equal(4000, sums[1]);

        counters.Add(1, -4000);                              // freed here, placed there: still balances
        Assert.Equal(1000, counters.SumAllNear(ref counters.OwnStripe(), sums));
        Assert.Equal(0, sums[1]);
    }

    [Fact]
    public void ManyLiveThreadsEachCountInTheirOwnStripeAndNothingIsLost()
    {
        // 48 threads alive at once have 48 distinct numbers, so stripes beyond the first chunk (16) are made while others
        // count: every thread's plain stores must land and be summed.
        const int Threads = 48, Adds = 2000;
        var counters = new TierCounters(tiers: 3, period: 20);
        using var barrier = new Barrier(Threads);
        int checks = 0;
        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int tier = t % 3;
            threads[t] = new Thread(() =>
            {
                barrier.SignalAndWait();
                ref long stripe = ref counters.OwnStripe();
                for (int i = 0; i < Adds; i++)
                {
                    if (i % 2 == 0) counters.Add(tier, 3);
                    else TierCounters.Add(ref stripe, tier, 3);
                    if (counters.CountDown(ref stripe)) Interlocked.Increment(ref checks);
                }
                counters.Add(tier, -1);
            });
            threads[t].Start();
        }
        foreach (Thread thread in threads) thread.Join();
        for (int tier = 0; tier < 3; tier++) Assert.Equal(16L * (3 * Adds - 1), counters.Sum(tier));
        Span<long> sums = stackalloc long[3];
        Assert.Equal(48L * (3 * Adds - 1), counters.SumAll(sums));
        Assert.Equal(Threads * (Adds / 20), checks); // each thread's countdown fires once per 20 of its own counts
    }
}
