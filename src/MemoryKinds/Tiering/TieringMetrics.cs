using System.Diagnostics.Metrics;

namespace MemoryKinds;

/// <summary>
/// The tiering instruments of the <see cref="MemoryKind.MeterName"/> meter: <c>memorykinds.tier.fallbacks</c>, a counter
/// of allocations that went to another tier because the tier the policy chose could not take them, tagged
/// <see cref="MemoryKind.KindTagName"/> with the full tier's name and <c>memorykinds.tier.to</c> with the taker's.
/// </summary>
internal static class TieringMetrics
{
    public const string FallbacksName = "memorykinds.tier.fallbacks";
    public const string ToTagName = "memorykinds.tier.to";

    private static readonly Meter s_meter = new(MemoryKind.MeterName, typeof(TieringMetrics).Assembly.GetName().Version?.ToString());
    private static readonly Counter<long> s_fallbacks = s_meter.CreateCounter<long>(FallbacksName, "{allocation}",
        "Allocations placed in another tier because the chosen tier was full.");

    public static void RecordFallback(MemoryKind full, MemoryKind taker)
    {
        if (s_fallbacks.Enabled)
        {
            s_fallbacks.Add(1, new KeyValuePair<string, object?>(MemoryKind.KindTagName, full.Name),
                new KeyValuePair<string, object?>(ToTagName, taker.Name));
        }
    }
}
