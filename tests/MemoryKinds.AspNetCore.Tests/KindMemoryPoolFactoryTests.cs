using System.Buffers;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Time.Testing;

namespace MemoryKinds.AspNetCore.Tests;

public sealed class KindMemoryPoolFactoryTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private readonly TempKind _temp = new();
    private readonly FakeTimeProvider _clock = new();
    private readonly KindMemoryPoolFactory _factory;

    public KindMemoryPoolFactoryTests() =>
        _factory = new KindMemoryPoolFactory(_temp.Kind, new KindMemoryPoolOptions { EvictionInterval = Interval, TimeProvider = _clock });

    public void Dispose()
    {
        _factory.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void IdlePoolGivesItsBlocksBackOverSomeIntervals()
    {
        var pool = (KindBlockPool)_factory.Create();
        ReturnAll(RentMany(pool, 100));
        // The blocks were in use during this first interval, so none counts as idle yet.
        _clock.Advance(Interval);
        Assert.Equal(100, pool.PooledBlocks);
        _clock.Advance(Interval);
        Assert.Equal(50, pool.PooledBlocks);
        Assert.Equal(50L * KindBlockPool.BlockSize, pool.EvictedBytes);
        for (int i = 0; i < 8; i++) _clock.Advance(Interval);
        Assert.Equal(0, pool.PooledBlocks);
        Assert.Equal(0, pool.AllocatedBlocks);
        Assert.Equal(0, _temp.Allocated);
    }

    [Fact]
    public void PoolInSteadyUseKeepsTheBlocksItUses()
    {
        var pool = (KindBlockPool)_factory.Create();
        for (int i = 0; i < 5; i++)
        {
            ReturnAll(RentMany(pool, 40));
            _clock.Advance(Interval);
        }
        Assert.Equal(40, pool.AllocatedBlocks);
        Assert.Equal(0, pool.EvictedBytes);
    }

    [Fact]
    public void PoolUsingFewerBlocksGivesBackOnlyTheUnusedOnes()
    {
        var pool = (KindBlockPool)_factory.Create();
        ReturnAll(RentMany(pool, 40));
        _clock.Advance(Interval);
        ReturnAll(RentMany(pool, 10)); // 30 stay free throughout this interval
        _clock.Advance(Interval);
        Assert.Equal(25, pool.AllocatedBlocks);
    }

    [Fact]
    public void FactoryTracksItsPoolsUntilTheyAreDisposed()
    {
        var kestrel = (KindBlockPool)_factory.Create(new MemoryPoolOptions { Owner = "kestrel" });
        var other = (KindBlockPool)_factory.Create();
        Assert.Equal("kestrel", kestrel.Owner);
        Assert.Null(other.Owner);
        Assert.Same(_temp.Kind, kestrel.Kind);
        Assert.Equal(2, _factory.Pools.Count);
        other.Dispose();
        Assert.Equal([kestrel], _factory.Pools);
    }

    [Fact]
    public void DisposedFactoryDisposesItsPoolsAndMakesNoMore()
    {
        var pool = (KindBlockPool)_factory.Create();
        ReturnAll(RentMany(pool, 3));
        _factory.Dispose();
        Assert.True(pool.IsDisposed);
        Assert.Equal(0, pool.AllocatedBlocks);
        Assert.Equal(0, _temp.Allocated);
        Assert.Empty(_factory.Pools);
        Assert.Throws<ObjectDisposedException>(() => _factory.Create());
    }

    [Fact]
    public void BadSettingsAreRefused()
    {
        Assert.Throws<ArgumentNullException>(() => new KindMemoryPoolFactory(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KindMemoryPoolFactory(_temp.Kind, new KindMemoryPoolOptions { EvictionInterval = TimeSpan.Zero }));
        Assert.Throws<ArgumentNullException>(() => new KindMemoryPoolFactory(_temp.Kind, new KindMemoryPoolOptions { TimeProvider = null! }));
    }

    [Fact]
    public void MeterReportsThePoolsBytesTaggedWithKindAndOwner()
    {
        var pool = (KindBlockPool)_factory.Create(new MemoryPoolOptions { Owner = "metrics-test" });
        List<IMemoryOwner<byte>> rented = RentMany(pool, 3);
        rented[0].Dispose();
        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == KindMemoryPoolFactory.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            Dictionary<string, object?> byName = tags.ToArray().ToDictionary(t => t.Key, t => t.Value);
            if (Equals(byName[KindPoolMetrics.OwnerTagName], "metrics-test") && Equals(byName[MemoryKind.KindTagName], _temp.Kind.Name)) seen[instrument.Name] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Equal(3L * KindBlockPool.BlockSize, seen[KindPoolMetrics.AllocatedName]);
        Assert.Equal(1L * KindBlockPool.BlockSize, seen[KindPoolMetrics.PooledName]);
        Assert.Equal(3L * KindBlockPool.BlockSize, seen[KindPoolMetrics.RentedName]);
        Assert.Equal(0, seen[KindPoolMetrics.EvictedName]);
        ReturnAll(rented.Skip(1).ToList());
    }

    private static List<IMemoryOwner<byte>> RentMany(MemoryPool<byte> pool, int count) => Enumerable.Range(0, count).Select(_ => pool.Rent()).ToList();

    private static void ReturnAll(List<IMemoryOwner<byte>> owners) => owners.ForEach(owner => owner.Dispose());
}
