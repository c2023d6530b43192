namespace MemoryKinds;

/// <summary>The tier kinds a MEMKIND_MEM_TIERS string can name.</summary>
internal enum TierKindName { Dram, FsDax, KmemDax }

/// <summary>One tier of a MEMKIND_MEM_TIERS string: its kind, the FS_DAX path and size limit, and its ratio.</summary>
internal sealed record TierSpec(TierKindName Kind, string? Path, long SizeLimit, long Ratio);

/// <summary>A parsed MEMKIND_MEM_TIERS (and MEMKIND_MEM_THRESHOLDS) configuration.</summary>
internal sealed record TierConfig(IReadOnlyList<TierSpec> Tiers, TierPolicy Policy, ThresholdSettings Thresholds);
