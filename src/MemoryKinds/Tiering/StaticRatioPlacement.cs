using System.Runtime.CompilerServices;

namespace MemoryKinds;

/// <summary>
/// <see cref="TierPolicy.StaticRatio"/>: the allocation goes to the tier whose share of the bytes held would be furthest
/// below its target after counting this allocation. memkind compares approximate per-kind totals (flushed from
/// per-thread buckets every 50 KiB) shared by every memtier object; this reads this object's sums, exact for the calling
/// thread's own placements and at most 64 of its allocations old for other threads' (see <see cref="TierCounters.RefreshNear"/>).
/// </summary>
internal sealed class StaticRatioPlacement
{
    private readonly TierCounters _counters;
    private readonly double[] _targetShares;

    public StaticRatioPlacement(TierCounters counters, IReadOnlyList<long> ratios)
    {
        _counters = counters;
        double sum = 0;
        foreach (long r in ratios) sum += r;
        _targetShares = new double[ratios.Count];
        for (int i = 0; i < ratios.Count; i++) _targetShares[i] = ratios[i] / sum;
    }

    /// <summary>The index of the tier an allocation of <paramref name="size"/> bytes should go to.</summary>
    /// <param name="size">The bytes asked for.</param>
    /// <param name="stripe">The calling thread's stripe of the counters (<see cref="TierCounters.StripeOf"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Choose(nuint size, ref long stripe) => _targetShares.Length == 1 ? 0 : ChooseAmongTiers(size, ref stripe);

    private int ChooseAmongTiers(nuint size, ref long stripe)
    {
        double[] targets = _targetShares;
        _counters.RefreshNear(ref stripe);
        int others = _counters.OthersOffset;
        long total = 0;
        for (int i = 0; i < targets.Length; i++) total += Unsafe.Add(ref stripe, i) + Unsafe.Add(ref stripe, others + i);
        double after = (double)total + size;
        int best = 0;
        double bestDeficit = double.NegativeInfinity;
        for (int i = 0; i < targets.Length; i++)
        {
            // Bytes below its target share this tier would be with the allocation in it; all tiers share the
            // denominator (total after), so comparing bytes compares shares.
            double deficit = targets[i] * after - ((double)(Unsafe.Add(ref stripe, i) + Unsafe.Add(ref stripe, others + i)) + size);
            if (deficit > bestDeficit)
            {
                bestDeficit = deficit;
                best = i;
            }
        }
        return best;
    }
}
