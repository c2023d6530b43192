using Microsoft.Extensions.DependencyInjection;

namespace MemoryKinds.Caching.Tests;

public sealed class LifetimeTests
{
    [Fact]
    public void DisposeGivesTheKindBackEverythingAndLaterCallsThrow()
    {
        using MemoryKind kind = TestValues.DramKind();
        using (var other = new KindDistributedCache(kind)) other.Set("other", [1], new DistributedCacheEntryOptions());
        long baseline = kind.GetStats().Allocated;
        var cache = new KindDistributedCache(kind);
        for (int i = 0; i < 20_000; i++) cache.Set($"k{i}", new byte[i % 3000], new DistributedCacheEntryOptions()); // the buckets grow many times
        Assert.True(kind.GetStats().Allocated > baseline + cache.Bytes / 2);

        cache.Dispose();
        cache.Dispose();
        Assert.Equal(baseline, kind.GetStats().Allocated);
        Assert.Equal(0, cache.Count);
        Assert.Throws<ObjectDisposedException>(() => cache.Get("k1"));
        Assert.Throws<ObjectDisposedException>(() => cache.Set("k1", [1], new DistributedCacheEntryOptions()));
        Assert.Throws<ObjectDisposedException>(() => cache.Remove("k1"));
        Assert.Throws<ObjectDisposedException>(() => cache.Refresh("k1"));
    }

    [Fact]
    public void TheContainerServesOneCacheForBothServiceTypesAndDisposesIt()
    {
        using var pmem = new TempPmemKind();
        var services = new ServiceCollection();
        services.AddDistributedMemoryCache(); // replaced: the kind's cache is the one IDistributedCache
        services.AddMemoryKindDistributedCache(pmem.Kind);
        KindDistributedCache cache;
        using (ServiceProvider provider = services.BuildServiceProvider())
        {
            cache = provider.GetRequiredService<KindDistributedCache>();
            Assert.Same(cache, provider.GetRequiredService<IDistributedCache>());
            Assert.Single(provider.GetServices<IDistributedCache>());
            cache.Set("k", [1, 2], new DistributedCacheEntryOptions());
            Assert.Same(pmem.Kind, cache.Kind);
        }
        Assert.Throws<ObjectDisposedException>(() => cache.Get("k"));
        Assert.Equal(0, pmem.Kind.GetStats().Allocated);
        Assert.False(pmem.Kind.IsDisposed); // the kind stays the caller's
    }

    [Fact]
    public void ACacheOverADisposedKindCannotBeMade()
    {
        MemoryKind kind = TestValues.DramKind();
        kind.Dispose();
        Assert.Throws<ObjectDisposedException>(() => new KindDistributedCache(kind));
    }
}
