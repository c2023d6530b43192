using MemoryKinds;

/// <summary>The cache part's correctness checks: values, byte counts, DRAM's share, promotion's effect, frees.</summary>
internal static unsafe class CacheChecks
{
    public static void Run(BenchOptions options, CheckList checks, List<CacheUnderTest> caches, List<CacheResult> results)
    {
        foreach (CacheUnderTest cache in caches)
        {
            List<string> problems = cache.Verify();
            checks.That($"cache values intact after the run: {cache.Name}", problems.Count == 0, () => string.Join("; ", problems));
            if (cache.Memory is TieredValueMemory tiered)
            {
                long inDram = 0, inPmem = 0;
                foreach (CacheEntry entry in cache.Entries)
                {
                    long size = (long)tiered.UsableSize(entry.Value);
                    if (entry.InDram) inDram += size;
                    else inPmem += size;
                }
                long countedDram = tiered.DramBytes, countedPmem = tiered.PmemBytes;
                long kindDram = tiered.DramKind!.GetStats().Allocated, kindPmem = tiered.PmemKind.GetStats().Allocated;
                checks.That($"tier counts equal the values' usable bytes and the kinds' stats: {cache.Name}",
                    countedDram == inDram && countedPmem == inPmem && kindDram == inDram && kindPmem == inPmem,
                    () => $"values DRAM {inDram} / pmem {inPmem}, AllocatedBytes {countedDram} / {countedPmem}, kinds' Allocated {kindDram} / {kindPmem}");
                checks.That($"DRAM stays within its {Stats.Percent(options.DramShare)} share (at most one value above): {cache.Name}",
                    tiered.MaxBytesAboveShare <= options.MaxValue,
                    () => $"DRAM went {tiered.MaxBytesAboveShare} bytes past its share");
            }
        }
        CacheResult? placedOnly = results.FirstOrDefault(r => r.Name.EndsWith("no promotion", StringComparison.Ordinal));
        CacheResult? promoted = results.FirstOrDefault(r => r.Name.EndsWith("+ promotion", StringComparison.Ordinal));
        if (placedOnly is not null && promoted is not null && options.GetPercent >= 50)
            checks.That("promotion serves more gets from DRAM than placement alone (by 10 points at least)",
                promoted.DramGetShare >= placedOnly.DramGetShare + 0.10,
                () => $"{Stats.Percent(promoted.DramGetShare)} with promotion, {Stats.Percent(placedOnly.DramGetShare)} without");
        foreach (CacheUnderTest cache in caches)
        {
            cache.FreeAll();
            long left = cache.Memory.TotalBytes;
            long kindLeft = cache.Memory.DramKind?.GetStats().Allocated ?? 0;
            checks.That($"every value's bytes given back by FreeAll: {cache.Name}", left == 0 && kindLeft == 0,
                () => $"{left} bytes still counted, {kindLeft} in the DRAM kind");
        }
    }
}
