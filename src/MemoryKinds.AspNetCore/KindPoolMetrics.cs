using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace MemoryKinds.AspNetCore;

/// <summary>
/// The <c>MemoryKinds.AspNetCore</c> meter (<see cref="KindMemoryPoolFactory.MeterName"/>): the live pools' bytes,
/// observed when a listener collects, so renting costs nothing extra. Each measurement carries the tags
/// <c>memorykinds.kind</c> (the kind's name) and <c>memorykinds.pool.owner</c> (who asked for the pool).
/// </summary>
internal static class KindPoolMetrics
{
    public const string AllocatedName = "memorykinds.pool.allocated";
    public const string PooledName = "memorykinds.pool.pooled";
    public const string RentedName = "memorykinds.pool.rented";
    public const string EvictedName = "memorykinds.pool.evicted";
    public const string OwnerTagName = "memorykinds.pool.owner";

    private static readonly ConcurrentDictionary<KindBlockPool, byte> s_pools = new();
    private static readonly Meter s_meter = new(KindMemoryPoolFactory.MeterName, typeof(KindPoolMetrics).Assembly.GetName().Version?.ToString());

    static KindPoolMetrics()
    {
        s_meter.CreateObservableUpDownCounter(AllocatedName, static () => Observe(static pool => (long)pool.AllocatedBlocks * KindBlockPool.BlockSize), "By",
            "Bytes of blocks the pool holds from its kind: rented and free.");
        s_meter.CreateObservableUpDownCounter(PooledName, static () => Observe(static pool => (long)pool.PooledBlocks * KindBlockPool.BlockSize), "By",
            "Bytes of free blocks waiting in the pool.");
        s_meter.CreateObservableCounter(RentedName, static () => Observe(static pool => pool.RentedBytes), "By",
            "Bytes rented from the pool since it was made.");
        s_meter.CreateObservableCounter(EvictedName, static () => Observe(static pool => pool.EvictedBytes), "By",
            "Bytes of idle blocks the pool gave back to its kind since it was made.");
    }

    public static void Track(KindBlockPool pool) => s_pools.TryAdd(pool, 0);

    public static void Untrack(KindBlockPool pool) => s_pools.TryRemove(pool, out _);

    private static IEnumerable<Measurement<long>> Observe(Func<KindBlockPool, long> select)
    {
        var measurements = new List<Measurement<long>>(s_pools.Count);
        foreach (KindBlockPool pool in s_pools.Keys)
        {
            measurements.Add(new Measurement<long>(select(pool),
                new KeyValuePair<string, object?>(MemoryKind.KindTagName, pool.Kind.Name),
                new KeyValuePair<string, object?>(OwnerTagName, pool.Owner)));
        }
        return measurements;
    }
}
