using System.Runtime.CompilerServices;

namespace MemoryKinds;

/// <summary>
/// <see cref="TierPolicy.StaticRatio"/>: the allocation goes to the tier whose share of the bytes held would be furthest
/// below its target after counting this allocation. memkind compares approximate per-kind totals (flushed from
/// per-thread buckets every 50 KiB) shared by every memtier object; this reads this object's sums, exact for the calling
/// thread's own placements and at most <see cref="TierCounters.RefreshEvery"/> of its allocations old for other threads' (see <see cref="TierCounters.RefreshNear"/>).
/// </summary>
internal sealed class StaticRatioPlacement
{
    private readonly TierCounters _counters;
    private readonly double[] _targetShares;
    /// <summary>Two tiers whose ratios are at most <see cref="MaxSmallRatio"/>: <see cref="ChooseOfTwo"/> decides, with these ratios.</summary>
    private readonly bool _twoSmallRatios;
    private readonly long _ratio0, _ratio1;

    /// <summary>The largest ratio <see cref="ChooseOfTwo"/> takes without overflow.</summary>
    private const long MaxSmallRatio = 1 << 14;

    public StaticRatioPlacement(TierCounters counters, IReadOnlyList<long> ratios)
    {
        _counters = counters;
        double sum = 0;
        foreach (long r in ratios) sum += r;
        _targetShares = new double[ratios.Count];
        for (int i = 0; i < ratios.Count; i++) _targetShares[i] = ratios[i] / sum;
        if (ratios.Count == 2 && ratios[0] <= MaxSmallRatio && ratios[1] <= MaxSmallRatio)
        {
            _twoSmallRatios = true;
            (_ratio0, _ratio1) = (ratios[0], ratios[1]);
        }
    }

    /// <summary>The index of the tier an allocation of <paramref name="size"/> bytes should go to.</summary>
    /// <param name="size">The bytes asked for.</param>
    /// <param name="stripe">The calling thread's stripe of the counters (<see cref="TierCounters.StripeOf"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Choose(nuint size, ref long stripe)
        => _targetShares.Length == 1 ? 0 : _twoSmallRatios ? ChooseOfTwo(size, ref stripe) : ChooseAmongTiers(size, ref stripe);

    /// <summary>
    /// <see cref="ChooseAmongTiers"/>'s answer for two tiers in integers: the second tier's deficit is the larger when
    /// 2 (r₁ c₀ - r₀ c₁) + (r₁ - r₀) s > 0 (r the ratios, c the bytes held, s the size; the shares' common denominator
    /// cancels). A few multiplies instead of the double conversions and products, on which the next placement's
    /// branch waited: the computed choice cost a random-size mix 18 ns more per step than a choice by a hash of the size.
    /// </summary>
    /// <remarks>
    /// No overflow: the ratios are at most <see cref="MaxSmallRatio"/> (2^14), bytes held stay below 2^47 (a 48-bit
    /// address space), and the size is capped at 2^46 (no tier can give that much; which one is tried first does not matter).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ChooseOfTwo(nuint size, ref long stripe)
    {
        _counters.RefreshNear(ref stripe);
        int others = _counters.OthersOffset;
        long first = stripe + Unsafe.Add(ref stripe, others);
        long second = Unsafe.Add(ref stripe, 1) + Unsafe.Add(ref stripe, others + 1);
        long bytes = (long)Math.Min(size, (nuint)1 << 46);
        if (2 * (_ratio1 * first - _ratio0 * second) + (_ratio1 - _ratio0) * bytes > 0) return 1;
        return 0;
    }

    internal int ChooseAmongTiers(nuint size, ref long stripe)
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
