using MemoryKinds;
using MemoryKinds.Caching;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

/// <summary>A cache under test and what it needs disposing.</summary>
internal sealed class Contender(string name, IDistributedCache cache, IDisposable owner) : IDisposable
{
    public string Name { get; } = name;

    public IDistributedCache Cache { get; } = cache;

    /// <summary>
    /// Reads a value into <paramref name="writer"/>: <see cref="IBufferDistributedCache.TryGet"/> where the cache has it,
    /// else <see cref="IDistributedCache.Get"/> and a copy, which is what HybridCache does with such a cache.
    /// </summary>
    public bool TryGet(string key, System.Buffers.IBufferWriter<byte> writer)
    {
        if (Cache is IBufferDistributedCache buffers) return buffers.TryGet(key, writer);
        if (Cache.Get(key) is not byte[] value) return false;
        System.Buffers.BuffersExtensions.Write(writer, value);
        return true;
    }

    public void Dispose() => owner.Dispose();

    /// <summary>A <see cref="KindDistributedCache"/> over a pmem kind in <paramref name="directory"/>, or over a DRAM kind when it is null.</summary>
    public static Contender Kind(string? directory)
    {
        MemoryKind kind = directory is null
            ? MemoryKind.Create($"bench-{Guid.NewGuid():N}", new AnonymousMemorySource())
            : PmemKind.Create(directory);
        var cache = new KindDistributedCache(kind);
        return new Contender("KindDistributedCache", cache, new Owners(cache, kind));
    }

    /// <summary>Microsoft.Extensions.Caching.Memory's <see cref="MemoryDistributedCache"/>, unbounded (its default limit is 200 MiB).</summary>
    public static Contender Memory()
    {
        var cache = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions { SizeLimit = null }));
        return new Contender("MemoryDistributedCache", cache, new Owners());
    }

    private sealed class Owners(params IDisposable[] owned) : IDisposable
    {
        public void Dispose()
        {
            foreach (IDisposable item in owned) item.Dispose();
        }
    }
}
