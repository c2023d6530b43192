namespace MemoryKinds.Caching.Tests;

public sealed class EvictionTests : IDisposable
{
    private static readonly DistributedCacheEntryOptions NoExpiration = new();
    private readonly TempPmemKind _pmem = new(PmemKind.MinSize);
    private readonly KindDistributedCache _cache;

    public EvictionTests() => _cache = new KindDistributedCache(_pmem.Kind);

    public void Dispose()
    {
        _cache.Dispose();
        _pmem.Dispose();
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(64 * 1024)]
    public void SetNeverFailsWhenTheKindIsFullAndKeepsTheNewestEntries(int valueLength)
    {
        long written = 0;
        int keys = (int)(4 * PmemKind.MinSize / valueLength); // four times what the kind holds
        for (int i = 0; i < keys; i++)
        {
            _cache.Set($"key-{i}", TestValues.For($"key-{i}", valueLength), NoExpiration);
            written += valueLength;
            Assert.Equal(TestValues.For($"key-{i}", valueLength), _cache.Get($"key-{i}"));
        }
        Assert.True(_cache.Count < keys / 3, $"{_cache.Count} of {keys} entries kept in a kind of a quarter of their size");
        Assert.True(_cache.Bytes <= PmemKind.MinSize);
        // Whatever is left is intact, and the most recent entries are there.
        int kept = 0;
        for (int i = 0; i < keys; i++)
        {
            byte[]? value = _cache.Get($"key-{i}");
            if (value is null) continue;
            kept++;
            Assert.Equal(TestValues.For($"key-{i}", valueLength), value);
        }
        Assert.Equal(_cache.Count, kept);
        Assert.NotNull(_cache.Get($"key-{keys - 1}"));
        Assert.NotNull(_cache.Get($"key-{keys - 2}"));
    }

    [Fact]
    public void EntriesInUseSurviveWhileUnusedOnesAreEvicted()
    {
        const int Length = 16 * 1024;
        string[] hot = [.. Enumerable.Range(0, 20).Select(i => $"hot-{i}")];
        foreach (string key in hot) _cache.Set(key, TestValues.For(key, Length), NoExpiration);
        for (int i = 0; i < 4000; i++) // 64 MiB of cold entries through a 16 MiB kind
        {
            _cache.Set($"cold-{i}", TestValues.For($"cold-{i}", Length), NoExpiration);
            string key = hot[i % hot.Length];
            Assert.Equal(TestValues.For(key, Length), _cache.Get(key));
        }
        Assert.Null(_cache.Get("cold-0"));
    }

    [Fact]
    public async Task RoomIsMadeEvenWhenTheOnlyOtherEntryIsInUseAllTheTime()
    {
        const int Length = 10 << 20; // two of these do not fit in the 16 MiB kind
        _cache.Set("hot", TestValues.For("hot", Length), NoExpiration);
        using var stop = new CancellationTokenSource();
        int refreshes = 0;
        Task reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                _cache.Refresh("hot"); // keeps its recency at the top
                refreshes++;
            }
        });
        SpinWait.SpinUntil(() => Volatile.Read(ref refreshes) > 0);
        _cache.Set("new", TestValues.For("new", Length), NoExpiration);
        stop.Cancel();
        await reader;
        Assert.Equal(TestValues.For("new", Length), _cache.Get("new"));
        Assert.Null(_cache.Get("hot"));
    }

    [Fact]
    public void AValueLargerThanTheKindIsRefusedAndTheCacheKept()
    {
        _cache.Set("small", [1, 2, 3], NoExpiration);
        var tooLarge = new byte[PmemKind.MinSize + 1];
        ArgumentException refused = Assert.Throws<ArgumentException>(() => _cache.Set("big", tooLarge, NoExpiration));
        Assert.Contains(_pmem.Kind.Name, refused.Message);
        Assert.Equal([1, 2, 3], _cache.Get("small"));
        Assert.Null(_cache.Get("big"));
    }

    [Fact]
    public void AValueThatCannotFitEvenInTheEmptiedCacheIsRefusedClearly()
    {
        _cache.Set("small", [1, 2, 3], NoExpiration);
        // Smaller than the kind's bound but more than it can give once its own metadata is counted.
        var almost = new byte[PmemKind.MinSize - 64];
        Assert.Throws<InsufficientMemoryException>(() => _cache.Set("big", almost, NoExpiration));
        Assert.Equal(0, _cache.Count); // everything was evicted trying
        _cache.Set("after", [4], NoExpiration);
        Assert.Equal([4], _cache.Get("after"));
    }
}
