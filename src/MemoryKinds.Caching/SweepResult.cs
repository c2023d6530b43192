namespace MemoryKinds.Caching;

/// <summary>What a pass of the eviction hand removed: entries evicted to make room, entries expired, and their block bytes.</summary>
internal readonly record struct SweepResult(int Evicted, int Expired, long Bytes)
{
    /// <summary>This result plus one removed entry of <paramref name="bytes"/> bytes.</summary>
    public SweepResult Add(bool expired, long bytes)
        => expired ? this with { Expired = Expired + 1, Bytes = Bytes + bytes } : this with { Evicted = Evicted + 1, Bytes = Bytes + bytes };

    /// <summary>The sum of two results.</summary>
    public SweepResult Add(SweepResult other) => new(Evicted + other.Evicted, Expired + other.Expired, Bytes + other.Bytes);
}
