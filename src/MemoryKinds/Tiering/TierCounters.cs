using System.Numerics;
using System.Runtime.CompilerServices;
using MemoryKinds.Engine;

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

    /// <summary>How many <see cref="SumAllNear"/> calls of a stripe read its copy of the other stripes before it is read again.</summary>
    private const int RefreshEvery = 64;

    private readonly long[] _slots;
    private readonly int _tiers;
    private readonly int _stride;
    private readonly int _stripeMask;

    /// <param name="tiers">How many tiers to count bytes for.</param>
    /// <param name="period">What each stripe's allocation countdown starts from (see <see cref="CountDown"/>).</param>
    public TierCounters(int tiers, int period)
    {
        _tiers = tiers;
        // A stripe holds one long per tier, the stripe's allocation countdown, the countdown to its next read of the other
        // stripes and its copy of their sums (one per tier), rounded up to whole lines, then one line of padding: the
        // array is not line-aligned, so the padding keeps two stripes' used longs off a shared line.
        _stride = ((2 * tiers + 2 + LineLongs - 1) / LineLongs + 1) * LineLongs;
        // Four stripes per processor (at least 8): threads' numbers are distinct but not dense, so with one stripe per
        // processor two busy threads shared one half the time. Only AllocatedBytes, DynamicThreshold's checks and
        // StaticRatio's refreshes read every stripe.
        int stripes = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(4 * Environment.ProcessorCount, 8, 256));
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

    /// <summary>
    /// Writes into <paramref name="sums"/> every tier's bytes as this thread's stripe has them now plus the other stripes
    /// as last read, at most <see cref="RefreshEvery"/> calls of this stripe ago, and returns their total. Reading every
    /// stripe on every allocation made each one wait for the line another core had just written (a StaticRatio pair
    /// cost 330 ns at two threads); a single thread's own counts are always exact.
    /// </summary>
    public long SumAllNear(Span<long> sums)
    {
        int stripe = StripeBase();
        long[] slots = _slots;
        ref long refresh = ref slots[stripe + _tiers + 1];
        bool reread = --refresh <= 0; // a plain countdown: threads sharing a stripe may both reread, which is harmless
        if (reread) refresh = RefreshEvery;
        long total = 0;
        for (int tier = 0; tier < sums.Length; tier++)
        {
            long own = Volatile.Read(ref slots[stripe + tier]);
            ref long others = ref slots[stripe + _tiers + 2 + tier];
            if (reread) others = Sum(tier) - own;
            sums[tier] = own + others;
            total += sums[tier];
        }
        return total;
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
    /// This thread's stripe, by the engine's number for the thread (live threads' numbers differ, and are small), so the
    /// first threads land on distinct stripes without a thread-static read, which costs a call into the C library here.
    /// Threads sharing a stripe stay correct: every update is atomic.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int StripeBase() => (ThreadHeaps.CurrentThreadNumber() & _stripeMask) * _stride;
}
