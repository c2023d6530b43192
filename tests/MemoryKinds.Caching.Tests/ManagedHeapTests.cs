namespace MemoryKinds.Caching.Tests;

/// <summary>The GC heap is the process's: these tests run alone, after the others, so that no other test's allocations are counted.</summary>
[CollectionDefinition(nameof(ManagedHeapTests), DisableParallelization = true)]
[Collection(nameof(ManagedHeapTests))]
public sealed class ManagedHeapTests
{
    private const int Entries = 100_000;

    [Fact]
    public void AHundredThousandEntriesPutNothingPerEntryOnTheGcHeap()
    {
        using MemoryKind kind = TestValues.DramKind();
        using var cache = new KindDistributedCache(kind);
        string[] keys = [.. Enumerable.Range(0, Entries).Select(i => $"entry-{i}")];
        byte[] value = TestValues.For("v", 200);
        var options = new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromHours(1) };
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        foreach (string key in keys) cache.Set(key, value, options);
        long setAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        var writer = new ArrayBufferWriter<byte>(value.Length);
        allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        foreach (string key in keys)
        {
            writer.ResetWrittenCount();
            if (!cache.TryGet(key, writer)) Assert.Fail($"{key} is missing");
        }
        long getAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        long heapGrowth = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;

        Assert.Equal(Entries, cache.Count);
        Assert.True(cache.Bytes > Entries * 200L);
        // Less than one byte an entry: sets and buffer gets allocate nothing per call, and the index is in the kind.
        Assert.True(setAllocated < Entries, $"sets allocated {setAllocated} bytes");
        Assert.True(getAllocated < Entries, $"gets allocated {getAllocated} bytes");
        Assert.True(heapGrowth < cache.Bytes / 20, $"the GC heap grew {heapGrowth} bytes for {cache.Bytes} bytes cached");
        Assert.True(kind.GetStats().Allocated >= cache.Bytes);
        GC.KeepAlive(keys);
    }
}
