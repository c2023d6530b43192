using System.Runtime.CompilerServices;

namespace MemoryKinds;

/// <summary>
/// <see cref="TierPolicy.DynamicThreshold"/> as memkind does it, for two tiers or more: an allocation goes to the first
/// tier whose threshold it is below (the last tier takes the rest); every <see cref="ThresholdSettings.CheckCount"/>
/// allocations, for each pair of adjacent tiers the ratio of the later tier's bytes to the earlier one's is compared
/// with the ratio of their ratios, and when it is off by at least the trigger and no closer than at the last check, the
/// threshold between them moves by <see cref="ThresholdSettings.Degree"/> of itself (up when the later tier holds too
/// much), staying within its [min, max].
/// </summary>
internal sealed class DynamicThresholdPlacement
{
    /// <summary>Tiers beyond this many sum into a heap array instead of the stack.</summary>
    private const int StackTiers = 16;

    private readonly TierCounters _counters;
    private readonly ThresholdSettings _settings;
    private readonly float[] _targetRatios;
    /// <summary>Array elements before and after the thresholds and the checking flag: a cache line each way.</summary>
    private const int Padding = 8;

    /// <summary>
    /// 1 while a thread moves a threshold (a try-lock: a thread that finds it set skips its move), at index
    /// <see cref="Padding"/>. A word in an array of its own, padded: a <c>Lock</c> object allocated next to this object
    /// put the compare-exchange on the line every allocation reads, and two threads' placements waited on each other.
    /// </summary>
    private readonly long[] _checking = new long[Padding + 1 + Padding];
    /// <summary>
    /// The thresholds, from index <see cref="Padding"/>: read by every allocation without a lock, written only by a
    /// thread holding <see cref="_checking"/>. The padding keeps their line apart from the objects allocated next to the
    /// array, whose writes made other threads' reads miss.
    /// </summary>
    private readonly nuint[] _thresholds;
    private readonly int _pairs;

    public DynamicThresholdPlacement(TierCounters counters, IReadOnlyList<long> ratios, ThresholdSettings settings)
    {
        _counters = counters;
        _settings = settings;
        int pairs = ratios.Count - 1;
        _pairs = pairs;
        _targetRatios = new float[pairs];
        _thresholds = new nuint[Padding + pairs + Padding];
        for (int i = 0; i < pairs; i++)
        {
            _targetRatios[i] = (float)ratios[i + 1] / ratios[i];
            _thresholds[Padding + i] = settings.Thresholds[i].Initial;
        }
    }

    /// <summary>The current threshold after tier <paramref name="pair"/>.</summary>
    public nuint ThresholdAt(int pair) => Volatile.Read(ref _thresholds[Padding + pair]);

    /// <summary>
    /// The index of the tier an allocation of <paramref name="size"/> bytes should go to (the first whose threshold it is
    /// below): the number of thresholds it reaches, as they never decrease from pair to pair
    /// (<see cref="ThresholdSettings.Problem"/> refuses a range that starts below the previous one's maximum). Counted
    /// without a branch on the size: with a mix of sizes, an early exit at the first threshold above it was mispredicted
    /// about as often as the minor tier is picked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Choose(nuint size)
    {
        nuint[] thresholds = _thresholds;
        int pairs = _pairs;
        int tier = 0;
        for (int i = 0; i < pairs; i++)
        {
            bool reached = size >= Volatile.Read(ref thresholds[Padding + i]);
            tier += Unsafe.BitCast<bool, byte>(reached);
        }
        return tier;
    }

    /// <summary>Called after each allocation or reallocation has been placed and counted: every check count of them, a check.</summary>
    /// <param name="stripe">The calling thread's stripe of the counters (<see cref="TierCounters.StripeOf"/>).</param>
    public void OnPlaced(ref long stripe)
    {
        if (_counters.CountDown(ref stripe)) Check(ref stripe);
    }

    /// <summary>
    /// A check, from the calling thread's view: its own bytes and the other stripes as last read (see
    /// <see cref="TierCounters.SumAllNear(ref long, Span{long})"/>), and its own last difference per pair, kept in its
    /// stripe. Nothing shared is written unless a threshold moves. (Reading every stripe at every check cost two threads
    /// about 50 ns per allocation; a shared try-lock and shared last differences, written at every check, cost them
    /// about 17 ns per 64-byte pair in lines moving between the cores.)
    /// </summary>
    private void Check(ref long stripe)
    {
        int tiers = _pairs + 1;
        Span<long> held = tiers <= StackTiers ? stackalloc long[tiers] : new long[tiers];
        _counters.SumAllNear(ref stripe, held);
        ref long lastDifferences = ref Unsafe.Add(ref stripe, _counters.PairStateOffset);
        for (int i = 0; i < _pairs; i++) CheckPair(i, held[i], held[i + 1], ref Unsafe.Add(ref lastDifferences, i));
    }

    /// <summary>
    /// Checks the pair of tiers <paramref name="pair"/> and <paramref name="pair"/> + 1, holding <paramref name="first"/>
    /// and <paramref name="second"/> bytes; <paramref name="lastDifference"/> is this thread's difference at its last
    /// check of the pair (a float's bits, 0 before the first).
    /// </summary>
    private void CheckPair(int pair, long first, long second, ref long lastDifference)
    {
        bool tooMuchInSecond = true; // with nothing in the earlier tier, raise the threshold, as memkind does
        if (first > 0)
        {
            float ratio = (float)second / first;
            float previous = BitConverter.Int32BitsToSingle((int)lastDifference);
            float difference = MathF.Abs(ratio - _targetRatios[pair]);
            lastDifference = BitConverter.SingleToInt32Bits(difference);
            if (difference < _settings.Trigger || difference < previous) return;
            tooMuchInSecond = ratio > _targetRatios[pair];
        }
        TierThreshold bounds = _settings.Thresholds[pair];
        ref nuint slot = ref _thresholds[Padding + pair];
        nuint threshold = Volatile.Read(ref slot);
        nuint change = (nuint)MathF.Ceiling(threshold * _settings.Degree);
        nuint moved;
        if (tooMuchInSecond)
        {
            if (threshold + change > bounds.Max || threshold + change < threshold) return;
            moved = threshold + change;
        }
        else
        {
            if (change > threshold || threshold - change < bounds.Min) return;
            moved = threshold - change;
        }
        Move(ref slot, threshold, moved);
    }

    /// <summary>
    /// Moves a threshold from <paramref name="from"/> to <paramref name="to"/> unless another thread is moving one or has
    /// moved it since it was read: a try-lock, so a thread that finds it taken skips its move rather than wait.
    /// </summary>
    private void Move(ref nuint slot, nuint from, nuint to)
    {
        if (Interlocked.CompareExchange(ref _checking[Padding], 1, 0) != 0) return;
        if (Volatile.Read(ref slot) == from) Volatile.Write(ref slot, to);
        Volatile.Write(ref _checking[Padding], 0);
    }
}
