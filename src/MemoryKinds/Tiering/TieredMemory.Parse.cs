namespace MemoryKinds;

public sealed partial class TieredMemory
{
    /// <summary>The environment variable with the tiers (memkind's libmemtier reads it at load).</summary>
    public const string TiersVariable = "MEMKIND_MEM_TIERS";

    /// <summary>The environment variable with the DYNAMIC_THRESHOLD thresholds.</summary>
    public const string ThresholdsVariable = "MEMKIND_MEM_THRESHOLDS";

    /// <summary>
    /// Creates tiered memory from memkind's configuration syntax, for example
    /// <c>KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:/mnt/pmem,PMEM_SIZE_LIMIT:10G,RATIO:4;POLICY:STATIC_RATIO</c>, with thresholds
    /// such as <c>INIT_VAL:1K,MIN_VAL:64,MAX_VAL:2K</c>. A DRAM tier is <see cref="MemoryKind.Default"/>; each FS_DAX tier
    /// is a new <see cref="PmemKind"/>, which <see cref="Dispose"/> disposes.
    /// </summary>
    /// <param name="tiers">MEMKIND_MEM_TIERS: <c>;</c>-separated tiers of <c>,</c>-separated <c>KIND:</c>, <c>RATIO:</c>, <c>PATH:</c>, <c>PMEM_SIZE_LIMIT:</c> parameters in any order, then <c>POLICY:STATIC_RATIO</c> or <c>POLICY:DYNAMIC_THRESHOLD</c>.</param>
    /// <param name="thresholds">MEMKIND_MEM_THRESHOLDS, or null for memkind's defaults: <c>INIT_VAL:</c>, <c>MIN_VAL:</c>, <c>MAX_VAL:</c> sizes (K, M, G suffixes), DYNAMIC_THRESHOLD only.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tiers"/> is null.</exception>
    /// <exception cref="FormatException">The configuration is malformed or breaks one of memkind's rules; the message names the token.</exception>
    /// <exception cref="NotSupportedException">A KMEM_DAX tier: this library has no kind on a memory-only NUMA node (the message says whether the machine has one).</exception>
    /// <exception cref="IOException">An FS_DAX tier's kind cannot be created (missing or read-only directory, and so on): the exception <see cref="PmemKind.Create(string, long)"/> throws.</exception>
    public static TieredMemory Parse(string tiers, string? thresholds = null)
    {
        ArgumentNullException.ThrowIfNull(tiers);
        TierConfig config = TierStringParser.Parse(tiers, thresholds);
        if (config.Policy == TierPolicy.DynamicThreshold && config.Tiers.Count != 2)
            throw new FormatException($"Bad tiering configuration at 'POLICY:DYNAMIC_THRESHOLD': in MEMKIND_MEM_TIERS that policy places between exactly two tiers (as memkind's parser; Create takes more), not {config.Tiers.Count}.");
        var kinds = new MemoryKind[config.Tiers.Count];
        var ratios = new long[kinds.Length];
        var owned = new List<MemoryKind>();
        try
        {
            for (int i = 0; i < kinds.Length; i++)
            {
                TierSpec spec = config.Tiers[i];
                kinds[i] = CreateTierKind(spec, kinds.AsSpan(0, i), owned);
                ratios[i] = spec.Ratio;
            }
            return Build(config.Policy, kinds, ratios, config.Thresholds, [.. owned]);
        }
        catch
        {
            foreach (MemoryKind kind in owned) kind.Dispose();
            throw;
        }
    }

    /// <summary>Parses <see cref="TiersVariable"/> and <see cref="ThresholdsVariable"/> as <see cref="Parse"/> does; null when <see cref="TiersVariable"/> is unset.</summary>
    /// <exception cref="FormatException">The variables are malformed; the message names the token.</exception>
    /// <exception cref="NotSupportedException">A KMEM_DAX tier.</exception>
    /// <exception cref="IOException">An FS_DAX tier's kind cannot be created.</exception>
    public static TieredMemory? FromEnvironment()
    {
        string? tiers = Environment.GetEnvironmentVariable(TiersVariable);
        return tiers is null ? null : Parse(tiers, Environment.GetEnvironmentVariable(ThresholdsVariable));
    }

    private static MemoryKind CreateTierKind(TierSpec spec, ReadOnlySpan<MemoryKind> earlier, List<MemoryKind> owned)
    {
        switch (spec.Kind)
        {
            case TierKindName.Dram:
                // memkind refuses a kind added twice; DRAM is one kind however often it is named.
                if (earlier.Contains(MemoryKind.Default)) throw new FormatException("Bad tiering configuration at 'KIND:DRAM': DRAM is given as two tiers.");
                return MemoryKind.Default;
            case TierKindName.KmemDax:
                throw new NotSupportedException($"KIND:KMEM_DAX is not available: {KmemDaxNodes.Describe()}");
            default:
                PmemKind kind = PmemKind.Create(spec.Path!, spec.SizeLimit);
                owned.Add(kind);
                return kind;
        }
    }
}
