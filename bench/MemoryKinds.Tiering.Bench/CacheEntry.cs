/// <summary>
/// One key's value: where it lives, its length (fixed per key), the version of its last set and its sampled accesses.
/// A value starts with a header, its key and version, which every get checks and the final check compares.
/// </summary>
internal unsafe struct CacheEntry
{
    /// <summary>Key (int) and version (int) at the start of every value.</summary>
    public const int HeaderBytes = 8;

    public byte* Value;
    public int Length;
    public int Version;
    /// <summary>Sampled accesses since the counters were last halved (promotion only).</summary>
    public ushort Hits;
    /// <summary>Whether the value is in a DRAM kind now.</summary>
    public bool InDram;
}
