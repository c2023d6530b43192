namespace MemoryKinds;

/// <summary>
/// The parameters of <see cref="TierPolicy.DynamicThreshold"/>, with memkind's names and defaults (src/memkind_memtier.c:
/// THRESHOLD_STEP 1024, THRESHOLD_CHECK_CNT 20, THRESHOLD_TRIGGER 0.02, THRESHOLD_DEGREE 0.15; the threshold after tier i
/// starts at (i + 1) × STEP within [(i + ½) × STEP, (i + 1½) × STEP − 1], so [512, 1535] around 1024 for two tiers).
/// </summary>
/// <param name="Thresholds">One per pair of adjacent tiers.</param>
/// <param name="CheckCount">Allocations (per thread here; per memtier object in memkind) between ratio checks.</param>
/// <param name="Trigger">How far the next tier's bytes over the previous one's may be from the ratio before the threshold moves.</param>
/// <param name="Degree">The fraction of the threshold by which it moves.</param>
internal sealed record ThresholdSettings(TierThreshold[] Thresholds, int CheckCount, float Trigger, float Degree)
{
    /// <summary>memkind's defaults for <paramref name="tiers"/> tiers (one threshold at least, for the environment parser).</summary>
    public static ThresholdSettings For(int tiers)
    {
        var thresholds = new TierThreshold[Math.Max(tiers - 1, 1)];
        for (int i = 0; i < thresholds.Length; i++) thresholds[i] = TierThreshold.Default(i);
        return new ThresholdSettings(thresholds, 20, 0.02f, 0.15f);
    }

    /// <summary>The settings of <paramref name="options"/> for <paramref name="tiers"/> tiers, unchecked.</summary>
    public static ThresholdSettings From(DynamicThresholdOptions options, int tiers)
    {
        ThresholdSettings defaults = For(tiers);
        TierThreshold[] thresholds = options.Thresholds is { } given ? [.. given] : defaults.Thresholds;
        return new ThresholdSettings(thresholds, options.CheckCount, options.Trigger, options.Degree);
    }

    /// <summary>The settings with the first threshold's values replaced by those given (MEMKIND_MEM_THRESHOLDS).</summary>
    public ThresholdSettings WithFirst(nuint? initial, nuint? min, nuint? max)
    {
        TierThreshold[] thresholds = [.. Thresholds];
        TierThreshold first = thresholds[0];
        thresholds[0] = new TierThreshold(initial ?? first.Initial, min ?? first.Min, max ?? first.Max);
        return this with { Thresholds = thresholds };
    }

    /// <summary>Why these settings cannot work for <paramref name="tiers"/> tiers (memkind's checks, and a positive check count), or null when they can.</summary>
    public string? Problem(int tiers)
    {
        if (Thresholds.Length != tiers - 1) return $"{tiers} tiers need {tiers - 1} thresholds, not {Thresholds.Length}";
        for (int i = 0; i < Thresholds.Length; i++)
        {
            TierThreshold t = Thresholds[i];
            if (t.Min > t.Initial) return $"threshold {i}: the minimum {t.Min} is above the initial threshold {t.Initial}";
            if (t.Initial > t.Max) return $"threshold {i}: the initial threshold {t.Initial} is above the maximum {t.Max}";
            if (i > 0 && Thresholds[i - 1].Max > t.Min)
                return $"threshold {i - 1}'s maximum {Thresholds[i - 1].Max} is above threshold {i}'s minimum {t.Min}";
        }
        if (CheckCount <= 0) return $"the check count {CheckCount} is not positive";
        if (!(Trigger >= 0)) return $"the trigger {Trigger} is negative";
        if (!(Degree >= 0)) return $"the degree {Degree} is negative";
        return null;
    }
}
