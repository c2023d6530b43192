namespace MemoryKinds.Tests.Tiering;

/// <summary>The live blocks a test placed through a <see cref="TieredMemory"/>, to check its accounting against.</summary>
internal sealed unsafe class TierBlocks(TieredMemory memory)
{
    private readonly List<nint> _blocks = [];

    public int Count => _blocks.Count;

    public void Alloc(nuint size) => _blocks.Add((nint)memory.Alloc(size));

    public void FreeAt(int index)
    {
        memory.Free((void*)_blocks[index]);
        _blocks[index] = _blocks[^1];
        _blocks.RemoveAt(_blocks.Count - 1);
    }

    public void FreeAll()
    {
        while (_blocks.Count > 0) FreeAt(_blocks.Count - 1);
    }

    /// <summary>The usable bytes of the live blocks each tier owns, by <see cref="MemoryKind.Detect"/>.</summary>
    public long HeldBy(MemoryKind kind)
    {
        long sum = 0;
        foreach (nint p in _blocks)
        {
            if (MemoryKind.Detect((void*)p) == kind) sum += (long)kind.GetUsableSize((void*)p);
        }
        return sum;
    }

    /// <summary>The first tier's share of the bytes all tiers hold, as the tiered memory counts them.</summary>
    public static double FirstShare(TieredMemory memory)
    {
        double total = 0;
        foreach (MemoryKind kind in memory.Kinds) total += memory.AllocatedBytes(kind);
        return memory.AllocatedBytes(memory.Kinds[0]) / total;
    }

    /// <summary>A size from 16 B to 1 MiB, uniform in its logarithm (as allocation sizes are spread in practice).</summary>
    public static nuint LogUniformSize(Random random, int min = 16, int max = 1 << 20)
        => (nuint)Math.Round(Math.Exp(Math.Log(min) + random.NextDouble() * (Math.Log(max) - Math.Log(min))));
}
