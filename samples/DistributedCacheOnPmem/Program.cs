// DistributedCacheOnPmem: an IDistributedCache whose entries live in a file-backed kind, registered and used through
// dependency injection. The kind is bounded to 32 MiB; writing 64 MiB of values through it evicts the least recently
// used ones while an entry read all along stays. Usage: DistributedCacheOnPmem [directory] (default: the temp directory).
using MemoryKinds;
using MemoryKinds.Caching;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

string directory = args.Length > 0 ? args[0] : Path.GetTempPath();
using PmemKind kind = PmemKind.Create(directory, maxSize: 32L << 20);
Console.WriteLine($"Created {kind} in {kind.Directory}: limit {kind.MaxSize >> 20} MiB");

var services = new ServiceCollection();
services.AddMemoryKindDistributedCache(kind);
using (ServiceProvider provider = services.BuildServiceProvider())
{
    IDistributedCache cache = provider.GetRequiredService<IDistributedCache>();
    cache.SetString("greeting", "Hello from a file-backed cache", new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(5) });
    Console.WriteLine($"greeting = \"{cache.GetString("greeting")}\"");

    byte[] value = new byte[16 << 10];
    for (int i = 0; i < 4096; i++) // 64 MiB through a 32 MiB kind
    {
        value.AsSpan().Fill((byte)i);
        await cache.SetAsync($"page-{i}", value);
        if (cache.GetString("greeting") is null) return Fail($"the greeting was evicted after {i} pages although it is read after every set");
    }
    var kindCache = (KindDistributedCache)cache;
    byte[]? last = await cache.GetAsync("page-4095");
    if (last is null || last[0] != unchecked((byte)4095)) return Fail("the newest page is missing or wrong");
    int kept = Enumerable.Range(0, 4096).Count(i => cache.Get($"page-{i}") is not null);
    Console.WriteLine($"Wrote 4096 pages of 16 KiB; {kept} still cached ({kindCache.Bytes >> 20} MiB of entries), the older ones evicted; the greeting, read all along, stayed.");
    Console.WriteLine($"Kind stats with the cache full: {kind.GetStats()}");
    cache.Remove("greeting");
    Console.WriteLine($"After Remove: greeting is {(cache.GetString("greeting") is null ? "gone" : "still there")}");
}
Console.WriteLine($"Disposed the container (and so the cache); kind stats: {kind.GetStats()}");
return kind.GetStats().Allocated == 0 ? 0 : Fail("the cache left blocks in the kind");

static int Fail(string message)
{
    Console.Error.WriteLine($"Unexpected result: {message}");
    return 1;
}
