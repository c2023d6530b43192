using Microsoft.Extensions.Time.Testing;

namespace MemoryKinds.Caching.Tests;

public sealed class ExpirationTests : IDisposable
{
    private readonly MemoryKind _kind = TestValues.DramKind();
    private readonly FakeTimeProvider _time = new();
    private readonly KindDistributedCache _cache;

    public ExpirationTests()
        => _cache = new KindDistributedCache(new KindDistributedCacheOptions(_kind) { TimeProvider = _time, ExpirationScanFrequency = TimeSpan.FromHours(1) });

    public void Dispose()
    {
        _cache.Dispose();
        _kind.Dispose();
    }

    [Fact]
    public void AbsoluteExpirationEndsTheEntryAtThatInstant()
    {
        _cache.Set("k", [1], new DistributedCacheEntryOptions { AbsoluteExpiration = _time.GetUtcNow().AddMinutes(10) });
        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.NotNull(_cache.Get("k"));
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Null(_cache.Get("k"));
        Assert.Equal(0, _cache.Count); // the get that found it expired removed it
    }

    [Fact]
    public void RelativeExpirationCountsFromTheSet()
    {
        _cache.Set("k", [1], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(30) });
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.NotNull(_cache.Get("k"));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(_cache.Get("k"));
    }

    [Fact]
    public void TheEarlierOfAbsoluteAndRelativeWins()
    {
        DateTimeOffset now = _time.GetUtcNow();
        _cache.Set("abs-first", [1], new DistributedCacheEntryOptions { AbsoluteExpiration = now.AddSeconds(10), AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(20) });
        _cache.Set("rel-first", [2], new DistributedCacheEntryOptions { AbsoluteExpiration = now.AddSeconds(20), AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(10) });
        _cache.Set("later", [3], new DistributedCacheEntryOptions { AbsoluteExpiration = now.AddSeconds(20), AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(20) });
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(_cache.Get("abs-first"));
        Assert.Null(_cache.Get("rel-first"));
        Assert.NotNull(_cache.Get("later"));
    }

    [Fact]
    public void SlidingExpirationIsRestartedByGetsAndRefreshes()
    {
        _cache.Set("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) });
        for (int i = 0; i < 5; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(50));
            if (i % 2 == 0) Assert.NotNull(_cache.Get("k"));
            else _cache.Refresh("k");
        }
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.NotNull(_cache.Get("k")); // 250 s after the set, 59 s after the last use
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(_cache.Get("k"));
    }

    [Fact]
    public void SlidingExpirationNeverExtendsPastTheAbsoluteOne()
    {
        _cache.Set("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1), AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(2) });
        _time.Advance(TimeSpan.FromSeconds(50));
        _cache.Refresh("k");
        _time.Advance(TimeSpan.FromSeconds(50));
        Assert.NotNull(_cache.Get("k")); // 100 s: inside both windows
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Null(_cache.Get("k")); // 120 s: the sliding window runs to 160 s, the absolute one ended
    }

    [Fact]
    public void RefreshDoesNotReviveAnExpiredEntry()
    {
        _cache.Set("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(5) });
        _time.Advance(TimeSpan.FromSeconds(5));
        _cache.Refresh("k");
        Assert.Null(_cache.Get("k"));
        _cache.Refresh("never-set"); // nothing to do, and no exception
        Assert.Equal(0, _cache.Count);
    }

    [Fact]
    public void EntriesWithoutExpirationStay()
    {
        _cache.Set("k", [1], new DistributedCacheEntryOptions());
        _time.Advance(TimeSpan.FromDays(3650));
        Assert.Equal([1], _cache.Get("k"));
    }

    [Fact]
    public void AnAbsoluteExpirationInThePastIsRefused()
    {
        var options = new DistributedCacheEntryOptions { AbsoluteExpiration = _time.GetUtcNow() };
        Assert.Throws<ArgumentOutOfRangeException>(() => _cache.Set("k", [1], options));
        Assert.Equal(0, _cache.Count);
        Assert.Equal(0, _kind.GetStats().Allocated);
    }

    [Fact]
    public void ThePeriodicScanRemovesExpiredEntriesNobodyReads()
    {
        for (int i = 0; i < 1000; i++)
            _cache.Set($"short-{i}", [1], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });
        _cache.Set("long", [2], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(3) });
        Assert.Equal(1001, _cache.Count);
        _time.Advance(TimeSpan.FromHours(1)); // past the short entries and the scan frequency
        Assert.NotNull(_cache.Get("long")); // any call may start the scan; it runs on the thread pool
        Assert.True(SpinWait.SpinUntil(() => _cache.Count == 1, TimeSpan.FromSeconds(30)), $"{_cache.Count} entries left");
        Assert.Equal([2], _cache.Get("long"));
    }
}
