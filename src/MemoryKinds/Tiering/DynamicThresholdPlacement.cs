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
    /// 1 while a thread checks (a try-lock: a thread that finds it set skips its check), at index <see cref="Padding"/>.
    /// A word in an array of its own, padded: a <c>Lock</c> object allocated next to this object put the compare-exchange
    /// of every check on the line every allocation reads, and two threads' placements waited on each other.
    /// </summary>
    private readonly long[] _checking = new long[Padding + 1 + Padding];
    /// <summary>
    /// The thresholds, from index <see cref="Padding"/>: read by every allocation without a lock, written only by the
    /// checking thread. The padding keeps their line apart from the objects allocated next to the array (the last
    /// differences, written at every check), which made other threads' reads miss.
    /// </summary>
    private readonly nuint[] _thresholds;
    private readonly int _pairs;
    private readonly float[] _lastDifferences;

    public DynamicThresholdPlacement(TierCounters counters, IReadOnlyList<long> ratios, ThresholdSettings settings)
    {
        _counters = counters;
        _settings = settings;
        int pairs = ratios.Count - 1;
        _pairs = pairs;
        _targetRatios = new float[pairs];
        _thresholds = new nuint[Padding + pairs + Padding];
        _lastDifferences = new float[pairs];
        for (int i = 0; i < pairs; i++)
        {
            _targetRatios[i] = (float)ratios[i + 1] / ratios[i];
            _thresholds[Padding + i] = settings.Thresholds[i].Initial;
        }
    }

    /// <summary>The current threshold after tier <paramref name="pair"/>.</summary>
    public nuint ThresholdAt(int pair) => Volatile.Read(ref _thresholds[Padding + pair]);

    /// <summary>The index of the tier an allocation of <paramref name="size"/> bytes should go to (the first whose threshold it is below).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Choose(nuint size)
    {
        nuint[] thresholds = _thresholds;
        int pairs = _pairs;
        for (int i = 0; i < pairs; i++)
        {
            if (size < Volatile.Read(ref thresholds[Padding + i])) return i;
        }
        return pairs;
    }

    /// <summary>Called after each allocation or reallocation has been placed and counted: every check count of them, a check.</summary>
    /// <param name="stripe">The calling thread's stripe of the counters (<see cref="TierCounters.OwnStripe"/>).</param>
    public void OnPlaced(ref long stripe)
    {
        // Each thread counts in its own stripe, so no shared counter is contended; a thread that finds another one
        // checking skips this check rather than wait.
        if (!_counters.CountDown(ref stripe) || Interlocked.CompareExchange(ref _checking[Padding], 1, 0) != 0) return;
        try
        {
            Check();
        }
        finally
        {
            Volatile.Write(ref _checking[Padding], 0);
        }
    }

    private void Check()
    {
        int tiers = _pairs + 1;
        Span<long> held = tiers <= StackTiers ? stackalloc long[tiers] : new long[tiers];
        // The calling thread's own bytes and the other stripes as last read (see SumAllNear): reading every stripe at every
        // check (each 20 allocations) cost two threads about 50 ns per allocation in lines fetched from the other core.
        _counters.SumAllNear(held);
        for (int i = 0; i < _pairs; i++) CheckPair(i, held[i], held[i + 1]);
    }

    private void CheckPair(int pair, long first, long second)
    {
        bool tooMuchInSecond = true; // with nothing in the earlier tier, raise the threshold, as memkind does
        if (first > 0)
        {
            float ratio = (float)second / first;
            float previous = _lastDifferences[pair];
            _lastDifferences[pair] = MathF.Abs(ratio - _targetRatios[pair]);
            if (_lastDifferences[pair] < _settings.Trigger || _lastDifferences[pair] < previous) return;
            tooMuchInSecond = ratio > _targetRatios[pair];
        }
        TierThreshold bounds = _settings.Thresholds[pair];
        ref nuint slot = ref _thresholds[Padding + pair];
        nuint threshold = slot;
        nuint change = (nuint)MathF.Ceiling(threshold * _settings.Degree);
        if (tooMuchInSecond)
        {
            if (threshold + change <= bounds.Max && threshold + change >= threshold) Volatile.Write(ref slot, threshold + change);
        }
        else if (change <= threshold && threshold - change >= bounds.Min)
        {
            Volatile.Write(ref slot, threshold - change);
        }
    }
}
