namespace MemoryKinds;

/// <summary>
/// <see cref="TierPolicy.DynamicThreshold"/> as memkind does it, for two tiers or more: an allocation goes to the first
/// tier whose threshold it is below (the last tier takes the rest); every <see cref="ThresholdSettings.CheckCount"/>
/// allocations, for each pair of adjacent tiers the ratio of the later tier's bytes to the earlier one's is compared
/// with the ratio of their ratios, and when it is off by at least the trigger and no closer than at the last check, the
/// threshold between them moves by <see cref="ThresholdSettings.Degree"/> of itself (up when the later tier holds too
/// much), staying within its [min, max].
/// </summary>
internal sealed class DynamicThresholdPlacement : TierPlacement
{
    /// <summary>Tiers beyond this many sum into a heap array instead of the stack.</summary>
    private const int StackTiers = 16;

    private readonly TierCounters _counters;
    private readonly ThresholdSettings _settings;
    private readonly float[] _targetRatios;
    private readonly Lock _checkLock = new();
    /// <summary>Read by every allocation without a lock; written only under <see cref="_checkLock"/>.</summary>
    private readonly nuint[] _thresholds;
    private readonly float[] _lastDifferences;

    public DynamicThresholdPlacement(TierCounters counters, IReadOnlyList<long> ratios, ThresholdSettings settings)
    {
        _counters = counters;
        _settings = settings;
        int pairs = ratios.Count - 1;
        _targetRatios = new float[pairs];
        _thresholds = new nuint[pairs];
        _lastDifferences = new float[pairs];
        for (int i = 0; i < pairs; i++)
        {
            _targetRatios[i] = (float)ratios[i + 1] / ratios[i];
            _thresholds[i] = settings.Thresholds[i].Initial;
        }
    }

    /// <summary>The current threshold after tier <paramref name="pair"/>.</summary>
    public nuint ThresholdAt(int pair) => Volatile.Read(ref _thresholds[pair]);

    public override int Choose(nuint size)
    {
        nuint[] thresholds = _thresholds;
        for (int i = 0; i < thresholds.Length; i++)
        {
            if (size < Volatile.Read(ref thresholds[i])) return i;
        }
        return thresholds.Length;
    }

    public override void OnPlaced()
    {
        // Each thread counts in its own stripe, so no shared counter is contended; a thread that finds another one
        // checking skips this check rather than wait.
        if (!_counters.CountDown(_settings.CheckCount) || !_checkLock.TryEnter()) return;
        try
        {
            Check();
        }
        finally
        {
            _checkLock.Exit();
        }
    }

    private void Check()
    {
        int tiers = _thresholds.Length + 1;
        Span<long> held = tiers <= StackTiers ? stackalloc long[tiers] : new long[tiers];
        // The calling thread's own bytes and the other stripes as last read (see SumAllNear): reading every stripe at every
        // check (each 20 allocations) cost two threads about 50 ns per allocation in lines fetched from the other core.
        _counters.SumAllNear(held);
        for (int i = 0; i < _thresholds.Length; i++) CheckPair(i, held[i], held[i + 1]);
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
        nuint threshold = _thresholds[pair];
        nuint change = (nuint)MathF.Ceiling(threshold * _settings.Degree);
        if (tooMuchInSecond)
        {
            if (threshold + change <= bounds.Max && threshold + change >= threshold) Volatile.Write(ref _thresholds[pair], threshold + change);
        }
        else if (change <= threshold && threshold - change >= bounds.Min)
        {
            Volatile.Write(ref _thresholds[pair], threshold - change);
        }
    }
}
