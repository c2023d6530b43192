using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;

namespace MemoryKinds.Caching.Tests;

public sealed class MetricsTests
{
    [Fact]
    public void HitsMissesEvictionsExpirationsEntriesAndBytesAreMeasured()
    {
        using var pmem = new TempPmemKind(PmemKind.MinSize);
        var time = new FakeTimeProvider();
        string name = $"metrics-{Guid.NewGuid():N}";
        var totals = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MemoryKind.MeterName && instrument.Name.StartsWith("memorykinds.cache.", StringComparison.Ordinal))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            bool ours = false, kindTagged = false;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                ours |= tag.Key == "memorykinds.cache" && (string?)tag.Value == name;
                kindTagged |= tag.Key == MemoryKind.KindTagName && (string?)tag.Value == pmem.Kind.Name;
            }
            if (!ours) return;
            Assert.True(kindTagged);
            lock (totals) totals[instrument.Name] = instrument is ObservableUpDownCounter<long> ? value : totals.GetValueOrDefault(instrument.Name) + value;
        });
        listener.Start();

        using (var cache = new KindDistributedCache(new KindDistributedCacheOptions(pmem.Kind) { Name = name, TimeProvider = time }))
        {
            cache.Set("a", [1], new DistributedCacheEntryOptions());
            cache.Set("b", [2], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(1) });
            cache.Get("a");
            cache.Get("a");
            cache.Get("missing");
            time.Advance(TimeSpan.FromSeconds(1));
            cache.Get("b"); // expired: a miss, and an expiration
            listener.RecordObservableInstruments();
            Assert.Equal(1, totals["memorykinds.cache.entries"]);
            Assert.Equal(cache.Bytes, totals["memorykinds.cache.bytes"]);

            for (int i = 0; i < 400; i++) cache.Set($"fill-{i}", new byte[64 * 1024], new DistributedCacheEntryOptions());
            listener.RecordObservableInstruments();
            Assert.Equal(cache.Count, totals["memorykinds.cache.entries"]);
        }

        Assert.Equal(2, totals["memorykinds.cache.hits"]);
        Assert.Equal(2, totals["memorykinds.cache.misses"]);
        Assert.Equal(1, totals["memorykinds.cache.expirations"]);
        Assert.InRange(totals["memorykinds.cache.evictions"], 401 - totals["memorykinds.cache.entries"], 401);
        totals.Remove("memorykinds.cache.entries");
        listener.RecordObservableInstruments();
        Assert.False(totals.ContainsKey("memorykinds.cache.entries")); // a disposed cache is no longer observed
    }
}
