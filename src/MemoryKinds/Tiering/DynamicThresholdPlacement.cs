namespace MemoryKinds;

/// <summary>
/// <see cref="TierPolicy.DynamicThreshold"/> for two tiers, as memkind does it: allocations below the threshold go to the
/// first tier; every <see cref="ThresholdSettings.CheckCount"/> allocations the ratio of the second tier's bytes to the
/// first's is compared with the target, and when it is off by more than the trigger and no closer than at the last
/// check, the threshold moves by <see cref="ThresholdSettings.Degree"/> of itself (up when the second tier holds too
/// much), staying within [min, max].
/// </summary>
internal sealed class DynamicThresholdPlacement : TierPlacement
{
    private readonly TierCounters _counters;
    private readonly ThresholdSettings _settings;
    private readonly float _targetRatio;
    private readonly Lock _checkLock = new();
    /// <summary>Read by every allocation without a lock; written only under <see cref="_checkLock"/>.</summary>
    private nuint _threshold;
    private float _lastDifference;

    public DynamicThresholdPlacement(TierCounters counters, IReadOnlyList<long> ratios, ThresholdSettings settings)
    {
        _counters = counters;
        _settings = settings;
        _targetRatio = (float)ratios[1] / ratios[0];
        _threshold = settings.Initial;
    }

    /// <summary>The current threshold.</summary>
    public nuint Threshold => Volatile.Read(ref _threshold);

    public override int Choose(nuint size) => size < Volatile.Read(ref _threshold) ? 0 : 1;

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
        long first = _counters.Sum(0), second = _counters.Sum(1);
        bool tooMuchInSecond = true; // with nothing in the first tier, raise the threshold, as memkind does
        if (first > 0)
        {
            float ratio = (float)second / first;
            float previous = _lastDifference;
            _lastDifference = MathF.Abs(ratio - _targetRatio);
            if (_lastDifference < _settings.Trigger || _lastDifference < previous) return;
            tooMuchInSecond = ratio > _targetRatio;
        }
        nuint threshold = _threshold;
        nuint change = (nuint)MathF.Ceiling(threshold * _settings.Degree);
        if (tooMuchInSecond)
        {
            if (threshold + change <= _settings.Max) Volatile.Write(ref _threshold, threshold + change);
        }
        else if (threshold - change >= _settings.Min && change <= threshold)
        {
            Volatile.Write(ref _threshold, threshold - change);
        }
    }
}
