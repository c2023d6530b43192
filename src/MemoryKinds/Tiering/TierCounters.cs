using System.Numerics;
using System.Runtime.CompilerServices;

namespace MemoryKinds;

/// <summary>
/// The bytes each tier holds, counted in stripes that threads write on their own and summed on reading, so that
/// threads placing allocations at the same time do not fight over one cache line. The sums are exact once the
/// threads are quiet; during concurrent updates they are a consistent sum of each stripe at some moment.
/// </summary>
internal sealed class TierCounters
{
    /// <summary>Longs in a 64-byte cache line.</summary>
    private const int LineLongs = 8;

    private readonly long[] _slots;
    private readonly int _tiers;
    private readonly int _stride;
    private readonly int _stripeMask;

    /// <param name="tiers">How many tiers to count bytes for.</param>
    /// <param name="period">What each stripe's allocation countdown starts from (see <see cref="CountDown"/>).</param>
    public TierCounters(int tiers, int period)
    {
        _tiers = tiers;
        // A stripe holds one long per tier and the stripe's allocation countdown, rounded up to whole lines, then one line
        // of padding: the array is not line-aligned, so the padding keeps two stripes' used longs off a shared line.
        _stride = ((tiers + 1 + LineLongs - 1) / LineLongs + 1) * LineLongs;
        int stripes = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount, 1, 64));
        _stripeMask = stripes - 1;
        _slots = new long[stripes * _stride];
        for (int i = tiers; i < _slots.Length; i += _stride) _slots[i] = period;
    }

    /// <summary>Adds <paramref name="bytes"/> (negative to subtract) to <paramref name="tier"/> in this thread's stripe.</summary>
    public void Add(int tier, long bytes) => Interlocked.Add(ref _slots[StripeBase() + tier], bytes);

    /// <summary>
    /// Counts one allocation down in this thread's stripe; true once every <paramref name="period"/> allocations of the
    /// stripe (a countdown, not a division, on the hot path).
    /// </summary>
    public bool CountDown(int period)
    {
        ref long left = ref _slots[StripeBase() + _tiers];
        if (Interlocked.Decrement(ref left) > 0) return false;
        // Threads sharing the stripe may both reach 0 and check twice, which is harmless.
        Volatile.Write(ref left, period);
        return true;
    }

    /// <summary>The bytes <paramref name="tier"/> holds: the sum over all stripes.</summary>
    public long Sum(int tier)
    {
        long sum = 0;
        for (int i = tier; i < _slots.Length; i += _stride) sum += Volatile.Read(ref _slots[i]);
        return sum;
    }

    /// <summary>Writes every tier's sum into <paramref name="sums"/> (one per tier) and returns their total.</summary>
    public long SumAll(Span<long> sums)
    {
        long total = 0;
        for (int tier = 0; tier < sums.Length; tier++)
        {
            long sum = Sum(tier);
            sums[tier] = sum;
            total += sum;
        }
        return total;
    }

    /// <summary>
    /// This thread's stripe, picked by the 1 MiB stretch of stack it runs on: live threads' stacks are disjoint (and at
    /// least that far apart by default), so threads land on different stripes without a thread-static read, which costs
    /// a call into the C library here. A thread whose stack crosses a stretch boundary uses two stripes; every update is
    /// atomic, so sharing a stripe costs contention, never a count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe int StripeBase()
    {
        byte marker;
        ulong stretch = (ulong)(nuint)(&marker) >> 20;
        return ((int)((stretch * 0x9E3779B97F4A7C15UL) >> 58) & _stripeMask) * _stride;
    }
}
