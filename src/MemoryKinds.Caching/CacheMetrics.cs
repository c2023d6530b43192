using System.Diagnostics.Metrics;

namespace MemoryKinds.Caching;

/// <summary>
/// The cache's instruments on the <c>MemoryKinds</c> meter (<see cref="MemoryKind.MeterName"/>), each tagged with
/// <see cref="CacheTagName"/> (the cache's <see cref="KindDistributedCache.Name"/>) and <see cref="MemoryKind.KindTagName"/>:
/// <list type="bullet">
/// <item><c>memorykinds.cache.hits</c>, <c>.misses</c> (counters: gets that found a live entry, and gets that did not);</item>
/// <item><c>memorykinds.cache.evictions</c> (counter: entries removed to make room in a full kind);</item>
/// <item><c>memorykinds.cache.expirations</c> (counter: expired entries removed);</item>
/// <item><c>memorykinds.cache.entries</c>, <c>memorykinds.cache.bytes</c> (observable up-down counters: entries now, and
/// the bytes of their blocks: headers, keys and values).</item>
/// </list>
/// </summary>
internal sealed class CacheMetrics
{
    public const string CacheTagName = "memorykinds.cache";
    public const string HitsName = "memorykinds.cache.hits";
    public const string MissesName = "memorykinds.cache.misses";
    public const string EvictionsName = "memorykinds.cache.evictions";
    public const string ExpirationsName = "memorykinds.cache.expirations";
    public const string EntriesName = "memorykinds.cache.entries";
    public const string BytesName = "memorykinds.cache.bytes";

    private static readonly Meter s_meter = new(MemoryKind.MeterName, typeof(CacheMetrics).Assembly.GetName().Version?.ToString());
    private static readonly Counter<long> s_hits = s_meter.CreateCounter<long>(HitsName, "{hit}", "Gets that found a live entry.");
    private static readonly Counter<long> s_misses = s_meter.CreateCounter<long>(MissesName, "{miss}", "Gets that found no live entry.");
    private static readonly Counter<long> s_evictions = s_meter.CreateCounter<long>(EvictionsName, "{entry}",
        "Entries removed, least recently used first, to make room in a full kind.");
    private static readonly Counter<long> s_expirations = s_meter.CreateCounter<long>(ExpirationsName, "{entry}", "Expired entries removed.");
    private static readonly Lock s_liveGate = new();
    private static readonly List<KindDistributedCache> s_live = [];

    private readonly KeyValuePair<string, object?> _cacheTag;
    private readonly KeyValuePair<string, object?> _kindTag;

    static CacheMetrics()
    {
        s_meter.CreateObservableUpDownCounter(EntriesName, static () => Observe(static cache => cache.Count), "{entry}", "Entries in the cache.");
        s_meter.CreateObservableUpDownCounter(BytesName, static () => Observe(static cache => cache.Bytes), "By",
            "Bytes of the cache's entry blocks (headers, keys and values) in the kind.");
    }

    /// <summary>The instruments' tags for a cache named <paramref name="cacheName"/> over the kind <paramref name="kindName"/>.</summary>
    public CacheMetrics(string cacheName, string kindName)
    {
        _cacheTag = new(CacheTagName, cacheName);
        _kindTag = new(MemoryKind.KindTagName, kindName);
    }

    /// <summary>Observes <paramref name="cache"/>'s entries and bytes until <see cref="Untrack"/>.</summary>
    public static void Track(KindDistributedCache cache)
    {
        lock (s_liveGate) s_live.Add(cache);
    }

    /// <summary>Stops observing <paramref name="cache"/>.</summary>
    public static void Untrack(KindDistributedCache cache)
    {
        lock (s_liveGate) s_live.Remove(cache);
    }

    /// <summary>Counts a get that found a live entry.</summary>
    public void RecordHit()
    {
        if (s_hits.Enabled) s_hits.Add(1, _cacheTag, _kindTag);
    }

    /// <summary>Counts a get that found no live entry.</summary>
    public void RecordMiss()
    {
        if (s_misses.Enabled) s_misses.Add(1, _cacheTag, _kindTag);
    }

    /// <summary>Counts the evictions and expirations of a sweep.</summary>
    public void RecordRemoved(SweepResult removed)
    {
        if (removed.Evicted != 0 && s_evictions.Enabled) s_evictions.Add(removed.Evicted, _cacheTag, _kindTag);
        if (removed.Expired != 0 && s_expirations.Enabled) s_expirations.Add(removed.Expired, _cacheTag, _kindTag);
    }

    private static Measurement<long>[] Observe(Func<KindDistributedCache, long> select)
    {
        lock (s_liveGate)
            return s_live.Select(cache => new Measurement<long>(select(cache), cache.Metrics._cacheTag, cache.Metrics._kindTag)).ToArray();
    }
}
