namespace MemoryKinds.Tests.Tiering;

/// <summary>Kinds for the tiering tests: bounded DRAM kinds as a small fast tier and pmem kinds on tmpfs.</summary>
internal static class TieringTestKinds
{
    /// <summary>A DRAM kind of at most <paramref name="limit"/> bytes (0: unbounded), with a name unique to this test.</summary>
    public static MemoryKind Dram(string test, long limit = 0)
        => MemoryKind.Create($"{test}-{Guid.NewGuid():N}", new AnonymousMemorySource(limit));

    /// <summary>A pmem kind on tmpfs of at most <paramref name="limit"/> bytes (0: unbounded).</summary>
    public static PmemKind Pmem(long limit = 0) => PmemKind.Create(TestDirectories.Tmpfs, limit);

    /// <summary>Fills <paramref name="size"/> bytes with a pattern seeded by <paramref name="seed"/>.</summary>
    public static unsafe void Fill(void* p, nuint size, int seed)
    {
        var span = new Span<byte>(p, checked((int)size));
        for (int i = 0; i < span.Length; i++) span[i] = (byte)(i * 31 + seed);
    }

    /// <summary>Whether the bytes still hold the pattern of <see cref="Fill"/>.</summary>
    public static unsafe bool Holds(void* p, nuint size, int seed)
    {
        var span = new ReadOnlySpan<byte>(p, checked((int)size));
        for (int i = 0; i < span.Length; i++)
        {
            if (span[i] != (byte)(i * 31 + seed)) return false;
        }
        return true;
    }
}
