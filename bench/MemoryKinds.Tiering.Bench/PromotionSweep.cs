using System.Diagnostics;

/// <summary>
/// Promotion and demotion between the tiers, run every so many cache operations. Hot entries in pmem (at least
/// <c>minHits</c> sampled accesses) are promoted hottest first while DRAM is under its share of the value bytes; when it
/// is not, DRAM entries are demoted coldest first to make room, but only entries strictly colder than the one promoted,
/// so entries of equal heat do not trade places every sweep. Then every counter is halved, so old accesses fade. The idea
/// of samples/TieredCache (demote unread, promote most read), with a byte budget and an exchange instead of thresholds.
/// </summary>
internal sealed unsafe class PromotionSweep(TieredValueMemory memory, int keys, int minHits)
{
    private readonly int[] _hot = new int[keys], _hotOrder = new int[keys];
    private readonly int[] _cold = new int[keys], _coldOrder = new int[keys];

    public long Sweeps { get; private set; }
    public long Promoted { get; private set; }
    public long Demoted { get; private set; }
    public long BytesMoved { get; private set; }
    public long Ticks { get; private set; }

    public void ResetCounts() => Sweeps = Promoted = Demoted = BytesMoved = Ticks = 0;

    public void Sweep(CacheEntry[] entries)
    {
        long start = Stopwatch.GetTimestamp();
        int hot = 0, cold = 0;
        for (int key = 0; key < entries.Length; key++)
        {
            ushort hits = entries[key].Hits;
            if (entries[key].InDram)
            {
                _cold[cold] = key;
                _coldOrder[cold++] = hits;
            }
            else if (hits >= minHits)
            {
                _hot[hot] = key;
                _hotOrder[hot++] = -hits;
            }
        }
        _hotOrder.AsSpan(0, hot).Sort(_hot.AsSpan(0, hot));
        _coldOrder.AsSpan(0, cold).Sort(_cold.AsSpan(0, cold));

        long room = (long)(memory.TotalBytes * memory.DramShare) - memory.DramBytes;
        int victim = 0;
        for (int i = 0; i < hot; i++)
        {
            ref CacheEntry candidate = ref entries[_hot[i]];
            long size = (long)memory.UsableSize(candidate.Value);
            while (room < size && victim < cold && entries[_cold[victim]].Hits < candidate.Hits)
            {
                long freed = Move(ref entries[_cold[victim++]], toDram: false);
                if (freed == 0) break; // pmem is full
                room += freed;
                Demoted++;
            }
            if (room < size) continue; // no colder entry left to make room: a smaller candidate may still fit
            long moved = Move(ref candidate, toDram: true);
            if (moved == 0) break; // the DRAM kind is full
            room -= moved;
            Promoted++;
        }
        memory.NoteDramGrowth();

        for (int key = 0; key < entries.Length; key++) entries[key].Hits >>= 1;
        Sweeps++;
        Ticks += Stopwatch.GetTimestamp() - start;
    }

    /// <summary>Moves an entry's value to the other tier; the bytes moved, or 0 when the target could not take it.</summary>
    private long Move(ref CacheEntry entry, bool toDram)
    {
        long size = (long)memory.UsableSize(entry.Value);
        byte* moved = (byte*)memory.MoveTo(entry.Value, toDram);
        if (moved == null) return 0;
        entry.Value = moved;
        entry.InDram = toDram;
        BytesMoved += size;
        return size;
    }
}
