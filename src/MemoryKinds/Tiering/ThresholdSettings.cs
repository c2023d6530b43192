namespace MemoryKinds;

/// <summary>
/// The parameters of <see cref="TierPolicy.DynamicThreshold"/>, with memkind's names and defaults
/// (src/memkind_memtier.c: THRESHOLD_STEP 1024, THRESHOLD_CHECK_CNT 20, THRESHOLD_TRIGGER 0.02, THRESHOLD_DEGREE 0.15;
/// for two tiers the threshold starts at 1 × STEP = 1024 within [0.5 × STEP, 1.5 × STEP − 1] = [512, 1535]).
/// </summary>
/// <param name="Initial">The threshold to start with (MEMKIND_MEM_THRESHOLDS INIT_VAL).</param>
/// <param name="Min">The lowest the threshold may go (MIN_VAL).</param>
/// <param name="Max">The highest the threshold may go (MAX_VAL).</param>
/// <param name="CheckCount">Allocations (per thread here; per memtier object in memkind) between ratio checks.</param>
/// <param name="Trigger">How far the second tier's bytes over the first's may be from the ratio before the threshold moves.</param>
/// <param name="Degree">The fraction of the threshold by which it moves.</param>
internal readonly record struct ThresholdSettings(nuint Initial, nuint Min, nuint Max, int CheckCount, float Trigger, float Degree)
{
    private const nuint Step = 1024;

    /// <summary>memkind's defaults for two tiers.</summary>
    public static ThresholdSettings Default => new(Step, Step / 2, Step + Step / 2 - 1, 20, 0.02f, 0.15f);

    /// <summary>The settings with the threshold's values replaced by those given.</summary>
    public ThresholdSettings With(nuint? initial, nuint? min, nuint? max)
        => this with { Initial = initial ?? Initial, Min = min ?? Min, Max = max ?? Max };

    /// <summary>Why these settings cannot work (memkind's checks), or null when they can.</summary>
    public string? Problem()
    {
        if (Min > Initial) return $"the minimum {Min} is above the initial threshold {Initial}";
        if (Initial > Max) return $"the initial threshold {Initial} is above the maximum {Max}";
        return null;
    }
}
