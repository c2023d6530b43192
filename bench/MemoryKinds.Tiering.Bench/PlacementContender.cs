using MemoryKinds;

/// <summary>A target of the placement part, with its mix blocks per thread count and thread, and what it must dispose.</summary>
internal abstract class PlacementContender(string name, IReadOnlyList<IDisposable> owned) : IDisposable
{
    /// <summary>Mix blocks by [threads - 1][thread index]: each case's threads have their own, filled by the thread that uses them.</summary>
    protected readonly MixBlocks[][] Mixes = [[new MixBlocks(20261125)], [new MixBlocks(20261125), new MixBlocks(20261126)]];

    public string Name { get; } = name;

    /// <summary>Tiered memory's object, for its byte counts; null for a plain kind.</summary>
    public virtual TieredMemory? Tiers => null;

    public abstract void Pairs(nuint size, int count);

    public abstract void Mix(int threads, int thread, int count);

    /// <summary>Frees every mix block (on the calling thread).</summary>
    public abstract void Drain();

    public void Dispose()
    {
        foreach (MixBlocks mix in Mixes.SelectMany(m => m)) mix.Dispose();
        foreach (IDisposable o in owned) o.Dispose();
    }

    public static PlacementContender Kind(string name, MemoryKind kind) => new Of<KindTarget>(name, new KindTarget(kind), null, [kind]);

    public static PlacementContender Tiered(string name, TieredMemory tiers, params MemoryKind[] kinds)
        => new Of<TieredTarget>(name, new TieredTarget(tiers), tiers, [tiers, .. kinds]);

    private sealed class Of<T>(string name, T target, TieredMemory? tiers, IReadOnlyList<IDisposable> owned)
        : PlacementContender(name, owned) where T : struct, IPairTarget
    {
        public override TieredMemory? Tiers => tiers;

        public override void Pairs(nuint size, int count) => PairLoops.Pairs(target, size, count);

        public override void Mix(int threads, int thread, int count)
        {
            MixBlocks mix = Mixes[threads - 1][thread];
            if (!mix.Filled) mix.Fill(target);
            mix.Run(target, count);
        }

        public override void Drain()
        {
            foreach (MixBlocks mix in Mixes.SelectMany(m => m)) mix.Drain(target);
        }
    }
}
