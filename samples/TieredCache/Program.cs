// A cache on tiered memory: values are placed 1:4 between a small DRAM tier and a pmem tier, then a periodic sweep
// demotes the entries nobody read to pmem and promotes the most-read ones to DRAM, so the reads land in DRAM.
// Usage: TieredCache [directory for the pmem tier]   (default: the temporary directory)
using MemoryKinds;

unsafe
{
    string directory = args.Length > 0 ? args[0] : Path.GetTempPath();
    const int Entries = 2_000, Reads = 60_000, SweepEvery = 10_000, HotReads = 3;

    using PmemKind pmem = PmemKind.Create(directory);
    using MemoryKind dram = MemoryKind.Create("tiered-cache-dram", new AnonymousMemorySource(8L << 20));
    using TieredMemory tiers = TieredMemory.Create(TierPolicy.StaticRatio, (dram, 1), (pmem, 4));

    var random = new Random(42);
    var cache = new Dictionary<int, Entry>();
    for (int key = 0; key < Entries; key++)
    {
        int length = random.Next(1 << 10, 16 << 10);
        byte* value = (byte*)tiers.Alloc((nuint)length);
        Fill(value, length, key);
        cache[key] = new Entry { Value = value, Length = length };
    }
    Console.WriteLine($"placed {Entries} values: DRAM {tiers.AllocatedBytes(dram) >> 10} KiB, pmem {tiers.AllocatedBytes(pmem) >> 10} KiB");

    int fromDram = 0, bad = 0;
    for (int read = 1; read <= Reads; read++)
    {
        // Skewed keys: a few are read most of the time.
        int key = (int)(Entries * Math.Pow(random.NextDouble(), 4));
        Entry entry = cache[key];
        entry.Reads++;
        if (MemoryKind.Detect(entry.Value) == dram) fromDram++;
        if (!Holds(entry.Value, entry.Length, key)) bad++;
        if (read % SweepEvery == 0)
        {
            (int demoted, int promoted) = Sweep(tiers, cache, dram, pmem, HotReads);
            Console.WriteLine($"after {read} reads: {100.0 * fromDram / SweepEvery:F1}% from DRAM; demoted {demoted}, promoted {promoted}; " +
                $"DRAM {tiers.AllocatedBytes(dram) >> 10} KiB, pmem {tiers.AllocatedBytes(pmem) >> 10} KiB");
            fromDram = 0;
        }
    }

    foreach ((int key, Entry entry) in cache)
    {
        if (!Holds(entry.Value, entry.Length, key)) bad++;
        tiers.Free(entry.Value);
    }
    bool empty = tiers.AllocatedBytes(dram) == 0 && tiers.AllocatedBytes(pmem) == 0;
    Console.WriteLine(bad == 0 && empty ? "all values intact after the moves; every byte freed" : $"FAILED: {bad} damaged values, tiers empty: {empty}");
    return bad == 0 && empty ? 0 : 1;
}

/// <summary>Demotes the DRAM entries not read since the last sweep, then promotes the most-read pmem entries while DRAM has room.</summary>
static unsafe (int Demoted, int Promoted) Sweep(TieredMemory tiers, Dictionary<int, Entry> cache, MemoryKind dram, MemoryKind pmem, int hotReads)
{
    int demoted = 0, promoted = 0;
    foreach (Entry entry in cache.Values)
    {
        if (entry.Reads == 0 && MemoryKind.Detect(entry.Value) == dram)
        {
            byte* moved = (byte*)tiers.MoveTo(entry.Value, pmem);
            if (moved == null) continue; // pmem full: the entry stays where it is
            entry.Value = moved;
            demoted++;
        }
    }
    foreach (Entry entry in cache.Values.Where(e => e.Reads >= hotReads).OrderByDescending(e => e.Reads))
    {
        if (MemoryKind.Detect(entry.Value) != pmem) continue;
        byte* moved = (byte*)tiers.MoveTo(entry.Value, dram);
        if (moved == null) break; // DRAM is full
        entry.Value = moved;
        promoted++;
    }
    foreach (Entry entry in cache.Values) entry.Reads = 0;
    return (demoted, promoted);
}

static unsafe void Fill(byte* p, int length, int key)
{
    for (int i = 0; i < length; i++) p[i] = (byte)(i + key * 7);
}

static unsafe bool Holds(byte* p, int length, int key)
{
    for (int i = 0; i < length; i++)
    {
        if (p[i] != (byte)(i + key * 7)) return false;
    }
    return true;
}

/// <summary>A cached value: where it lives now, its length and how often it was read since the last sweep.</summary>
sealed unsafe class Entry
{
    public byte* Value;
    public int Length;
    public int Reads;
}
