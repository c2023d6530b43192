using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;

namespace MemoryKinds.Caching.Tests;

public sealed class HybridCacheTests
{
    [Fact]
    public async Task ValuesComeBackFromTheKindAfterTheLocalCacheLosesThem()
    {
        using var pmem = new TempPmemKind();
        var services = new ServiceCollection();
        services.AddMemoryKindDistributedCache(pmem.Kind);
        services.AddHybridCache();
        await using (ServiceProvider provider = services.BuildServiceProvider())
        {
            HybridCache hybrid = provider.GetRequiredService<HybridCache>();
            int factoryCalls = 0;
            string first = await hybrid.GetOrCreateAsync("answer", _ => { factoryCalls++; return ValueTask.FromResult("forty-two"); });

            var l2 = Assert.IsType<KindDistributedCache>(provider.GetRequiredService<IDistributedCache>());
            Assert.NotNull(l2.Get("answer")); // HybridCache wrote its payload through to the kind
            var l1 = Assert.IsType<MemoryCache>(provider.GetRequiredService<IMemoryCache>());
            l1.Compact(1.0); // the local (L1) copy is gone
            Assert.Equal(0, l1.Count);

            string second = await hybrid.GetOrCreateAsync("answer", _ => { factoryCalls++; return ValueTask.FromResult("recomputed"); });
            Assert.Equal("forty-two", first);
            Assert.Equal("forty-two", second);
            Assert.Equal(1, factoryCalls);

            await hybrid.RemoveAsync("answer"); // removal goes through to L2 as well
            Assert.Null(l2.Get("answer"));
        }
        Assert.Equal(0, pmem.Kind.GetStats().Allocated); // the container disposed the cache
    }
}
