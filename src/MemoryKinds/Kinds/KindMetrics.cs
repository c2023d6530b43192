using System.Diagnostics.Metrics;

namespace MemoryKinds;

/// <summary>
/// The <c>MemoryKinds</c> meter (see <see cref="MemoryKind.MeterName"/>). Per-kind instruments carry the tag
/// <see cref="MemoryKind.KindTagName"/> with the kind's <see cref="MemoryKind.Name"/>:
/// <list type="bullet">
/// <item><c>memorykinds.memory.allocated</c>, <c>.active</c>, <c>.resident</c> (bytes, observable up-down counters, from <see cref="MemoryKind.GetStats"/>);</item>
/// <item><c>memorykinds.memory.file</c> (bytes of storage the source holds, <see cref="MemorySource.StorageBytes"/>; only for sources that can tell);</item>
/// <item><c>memorykinds.allocation.failures</c> (counter: allocations that threw <see cref="OutOfMemoryException"/> or returned null);</item>
/// <item><c>memorykinds.kinds.alive</c> (observable up-down counter, untagged: kinds created and not disposed);</item>
/// <item><c>memorykinds.memory.peak_active</c>, <c>.peak_resident</c> (bytes, observable gauges) and <c>memorykinds.allocations</c>, <c>memorykinds.frees</c> (observable counters), from <see cref="MemoryKind.GetCounters"/>.</item>
/// </list>
/// </summary>
internal static class KindMetrics
{
    public const string AllocatedName = "memorykinds.memory.allocated";
    public const string ActiveName = "memorykinds.memory.active";
    public const string ResidentName = "memorykinds.memory.resident";
    public const string FileName = "memorykinds.memory.file";
    public const string FailuresName = "memorykinds.allocation.failures";
    public const string AliveName = "memorykinds.kinds.alive";
    public const string PeakActiveName = "memorykinds.memory.peak_active";
    public const string PeakResidentName = "memorykinds.memory.peak_resident";
    public const string AllocationsName = "memorykinds.allocations";
    public const string FreesName = "memorykinds.frees";

    private static readonly Meter s_meter = new(MemoryKind.MeterName, typeof(KindMetrics).Assembly.GetName().Version?.ToString());
    private static readonly Counter<long> s_failures = s_meter.CreateCounter<long>(FailuresName, "{failure}",
        "Allocations a kind could not satisfy: OutOfMemoryException thrown or null returned by a Try form.");

    static KindMetrics()
    {
        s_meter.CreateObservableUpDownCounter(AllocatedName, static () => Observe(static kind => kind.GetStats().Allocated), "By",
            "Usable bytes of the blocks allocated now.");
        s_meter.CreateObservableUpDownCounter(ActiveName, static () => Observe(static kind => kind.GetStats().Active), "By",
            "Bytes of the pages that hold blocks.");
        s_meter.CreateObservableUpDownCounter(ResidentName, static () => Observe(static kind => kind.GetStats().Resident), "By",
            "Bytes backed by storage (file blocks reserved or DRAM committed).");
        s_meter.CreateObservableGauge(PeakActiveName, static () => Observe(static kind => kind.GetCounters().PeakActive), "By",
            "Highest Active since the kind was made or its peaks were reset.");
        s_meter.CreateObservableGauge(PeakResidentName, static () => Observe(static kind => kind.GetCounters().PeakResident), "By",
            "Highest Resident since the kind was made or its peaks were reset.");
        s_meter.CreateObservableCounter(AllocationsName, static () => Observe(static kind => kind.GetCounters().Allocations), "{allocation}",
            "Blocks the kind has handed out.");
        s_meter.CreateObservableCounter(FreesName, static () => Observe(static kind => kind.GetCounters().Frees), "{free}",
            "Blocks freed into the kind.");
        s_meter.CreateObservableUpDownCounter(FileName, static () => ObserveFiles(), "By",
            "Bytes of storage the kind's source holds as the file system reports it.");
        s_meter.CreateObservableUpDownCounter(AliveName, static () => KindTracker.LiveCount, "{kind}",
            "Memory kinds created and not yet disposed.");
    }

    /// <summary>Runs the static constructor, so the meter and its instruments exist once any kind does.</summary>
    public static void EnsureCreated() { }

    public static void RecordFailure(MemoryKind kind)
    {
        if (s_failures.Enabled) s_failures.Add(1, new KeyValuePair<string, object?>(MemoryKind.KindTagName, kind.Name));
    }

    private static IEnumerable<Measurement<long>> Observe(Func<MemoryKind, long> read)
    {
        List<MemoryKind> kinds = KindTracker.Snapshot();
        var measurements = new List<Measurement<long>>(kinds.Count);
        foreach (MemoryKind kind in kinds)
        {
            long value;
            try
            {
                value = read(kind);
            }
            catch (ObjectDisposedException)
            {
                continue; // disposed since the snapshot
            }
            measurements.Add(new Measurement<long>(value, Tag(kind)));
        }
        return measurements;
    }

    private static IEnumerable<Measurement<long>> ObserveFiles()
    {
        List<MemoryKind> kinds = KindTracker.Snapshot();
        var measurements = new List<Measurement<long>>(kinds.Count);
        foreach (MemoryKind kind in kinds)
        {
            long bytes = kind.TryGetStorageBytes();
            if (bytes >= 0) measurements.Add(new Measurement<long>(bytes, Tag(kind)));
        }
        return measurements;
    }

    private static KeyValuePair<string, object?> Tag(MemoryKind kind) => new(MemoryKind.KindTagName, kind.Name);
}
