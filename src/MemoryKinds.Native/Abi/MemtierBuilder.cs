namespace MemoryKinds.Native.Abi;

/// <summary>
/// A <c>struct memtier_builder</c>: the policy, the tiers added so far and the DYNAMIC_THRESHOLD parameters, kept as
/// memkind's builder keeps them (the threshold between two tiers appears, with memkind's default, when the second of
/// them is added, and <c>memtier_ctl_set</c> can change it from then on). Thread-safe.
/// </summary>
internal sealed unsafe class MemtierBuilder(TierPolicy policy)
{
    private readonly Lock _lock = new();
    private readonly List<(AbiKind Entry, MemoryKind Kind, uint Ratio)> _tiers = [];
    private readonly List<TierThreshold> _thresholds = [];
    private uint _checkCount = 20;
    private float _trigger = 0.02f, _degree = 0.15f;

    /// <summary>The live builders, by the handle C holds.</summary>
    public static HandleTable<MemtierBuilder> Handles { get; } = new();

    /// <summary>The policy of the memories this builder constructs.</summary>
    public TierPolicy Policy { get; } = policy;

    /// <summary>Adds a tier (the ratio is not 0); returns why it cannot be added, or null.</summary>
    public string? AddTier(AbiKind entry, MemoryKind kind, uint ratio)
    {
        lock (_lock)
        {
            foreach ((AbiKind Entry, MemoryKind, uint) tier in _tiers)
            {
                if (tier.Entry == entry) return $"{entry.Name} is a tier of this builder already";
            }
            if (Policy == TierPolicy.DynamicThreshold && _tiers.Count > 0) _thresholds.Add(TierThreshold.Default(_tiers.Count - 1));
            _tiers.Add((entry, kind, ratio));
            return null;
        }
    }

    /// <summary>Sets a parameter from what <paramref name="val"/> points to (its C type per <see cref="MemtierParameter"/>); returns why it cannot be set, or null.</summary>
    public string? Set(MemtierParameter parameter, int index, void* val)
    {
        lock (_lock)
        {
            if (Policy != TierPolicy.DynamicThreshold) return "a STATIC_RATIO builder has no parameters to set";
            switch (parameter)
            {
                case MemtierParameter.CheckCount: _checkCount = *(uint*)val; return null;
                case MemtierParameter.Trigger: _trigger = *(float*)val; return null;
                case MemtierParameter.Degree: _degree = *(float*)val; return null;
            }
            if (index >= _thresholds.Count)
                return $"there is no threshold {index}: the builder has {_tiers.Count} tier(s), so {_thresholds.Count} threshold(s)";
            nuint value = *(nuint*)val;
            TierThreshold t = _thresholds[index];
            _thresholds[index] = parameter switch
            {
                MemtierParameter.ThresholdValue => t with { Initial = value },
                MemtierParameter.ThresholdMin => t with { Min = value },
                _ => t with { Max = value },
            };
            return null;
        }
    }

    /// <summary>A memtier memory of the tiers and parameters, registered with its kinds.</summary>
    /// <exception cref="ArgumentException">They make none; the message says why in memkind's terms.</exception>
    public MemtierMemory Construct()
    {
        lock (_lock)
        {
            if (_tiers.Count == 0) throw new ArgumentException("the builder has no tier");
            var entries = new AbiKind[_tiers.Count];
            var kinds = new MemoryKind[_tiers.Count];
            var tiers = new (MemoryKind Kind, int Ratio)[_tiers.Count];
            // TieredMemory takes int ratios; only proportions matter, so ratios past int.MaxValue are all halved.
            uint largest = 0;
            foreach ((AbiKind, MemoryKind, uint Ratio) tier in _tiers) largest = Math.Max(largest, tier.Ratio);
            int shift = largest > int.MaxValue ? 1 : 0;
            for (int i = 0; i < tiers.Length; i++)
            {
                (AbiKind entry, MemoryKind kind, uint ratio) = _tiers[i];
                if (KindTable.Find(entry.Struct) != entry) throw new ArgumentException($"the kind of tier {i} was destroyed after it was added");
                entries[i] = entry;
                kinds[i] = kind;
                tiers[i] = (kind, (int)Math.Max(ratio >> shift, 1u));
            }
            TieredMemory memory = Policy == TierPolicy.StaticRatio
                ? TieredMemory.Create(TierPolicy.StaticRatio, tiers)
                : TieredMemory.Create(new DynamicThresholdOptions
                {
                    Thresholds = [.. _thresholds],
                    // memkind counts an unsigned down and checks when it reaches 0, so 0 means after 2^32 operations.
                    CheckCount = _checkCount is 0 or > int.MaxValue ? int.MaxValue : (int)_checkCount,
                    Trigger = _trigger,
                    Degree = _degree,
                }, tiers);
            var made = new MemtierMemory(memory, entries, kinds);
            KindTierUsage.Register(made);
            return made;
        }
    }
}
