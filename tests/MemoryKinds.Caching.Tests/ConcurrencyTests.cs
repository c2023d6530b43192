using System.Buffers.Binary;

namespace MemoryKinds.Caching.Tests;

public sealed class ConcurrencyTests
{
    private const int Keys = 64;

    [Fact]
    public void ThreadsSettingGettingAndRemovingTheSameKeysAlwaysReadWholeValues()
    {
        using var pmem = new TempPmemKind(PmemKind.MinSize); // bounded, so evictions race with the rest too
        long baseline = pmem.Kind.GetStats().Allocated;
        var cache = new KindDistributedCache(pmem.Kind);
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
        Assert.Equal(baseline, pmem.Kind.GetStats().Allocated);
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
