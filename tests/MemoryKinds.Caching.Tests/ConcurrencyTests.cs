using System.Buffers.Binary;

namespace MemoryKinds.Caching.Tests;

public sealed class ConcurrencyTests
{
    private const int Keys = 64;

    [Fact]
    public void ThreadsSettingGettingAndRemovingTheSameKeysAlwaysReadWholeValues()
    {
        using var pmem = new TempPmemKind(PmemKind.MinSize); // bounded, so evictions race with the rest too
        Race(pmem.Kind, allocatedReturnsToBaseline: true);
    }

    [Fact]
    public void NoReaderSeesFreedMemoryInAHardenedKind()
    {
        // Hardened mode fills freed blocks with 0xDF and keeps them in quarantine: a copy from a freed entry would show
        // up as a torn value, and a write to one as an exception when the block leaves quarantine. Room enough that the
        // race is between removes, replaces and copies (evictions race in the test above): in 16 MiB the quarantine and
        // four threads' mixed sizes can leave no block of 64 KiB even with the cache emptied.
        using MemoryKind kind = MemoryKind.Create($"cache-hardened-{Guid.NewGuid():N}", new AnonymousMemorySource(64L << 20),
            MemoryUsagePolicy.Default, hardened: true);
        Assert.True(kind.IsHardened);
        Race(kind, allocatedReturnsToBaseline: false); // quarantined blocks still count as allocated
    }

    private static void Race(MemoryKind kind, bool allocatedReturnsToBaseline)
    {
        long baseline = kind.GetStats().Allocated;
        var cache = new KindDistributedCache(kind);
        int hits = 0;
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            var random = new Random(worker);
            var writer = new ArrayBufferWriter<byte>();
            for (int op = 0; op < 20_000; op++)
            {
                string key = $"key-{random.Next(Keys)}";
                switch (random.Next(10))
                {
                    case < 4:
                        cache.Set(key, Versioned(key, random.Next(1, 64) * 1024, random.Next()), new DistributedCacheEntryOptions());
                        break;
                    case < 6:
                        if (cache.Get(key) is byte[] value) { CheckWhole(key, value); Interlocked.Increment(ref hits); }
                        break;
                    case < 9:
                        writer.ResetWrittenCount();
                        if (cache.TryGet(key, writer)) { CheckWhole(key, writer.WrittenSpan); Interlocked.Increment(ref hits); }
                        break;
                    default:
                        cache.Remove(key);
                        break;
                }
            }
        });
        Assert.True(hits > 0);
        Assert.InRange(cache.Count, 0, Keys);
        for (int i = 0; i < Keys; i++)
            if (cache.Get($"key-{i}") is byte[] value) CheckWhole($"key-{i}", value);
        cache.Dispose();
        Assert.Equal(0, cache.Count);
        if (allocatedReturnsToBaseline) Assert.Equal(baseline, kind.GetStats().Allocated);
    }

    /// <summary>A value that names its own version in its first 4 bytes, so a reader can check every other byte.</summary>
    private static byte[] Versioned(string key, int length, int version)
    {
        byte[] value = TestValues.For(key, length, version);
        BinaryPrimitives.WriteInt32LittleEndian(value, version);
        return value;
    }

    private static void CheckWhole(string key, ReadOnlySpan<byte> value)
    {
        int version = BinaryPrimitives.ReadInt32LittleEndian(value);
        Assert.True(value.SequenceEqual(Versioned(key, value.Length, version)), $"{key}: a torn or foreign value of {value.Length} bytes");
    }
}
