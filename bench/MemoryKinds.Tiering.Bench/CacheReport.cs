using System.Text;
using MemoryKinds;

/// <summary>What one cache configuration measured (recorded rounds only).</summary>
internal sealed record CacheResult(
    string Name, double OpsPerSecond, double VsAllDram, double DramGetShare, long DramValueBytes, long TotalValueBytes,
    long DramResidentPeak, long DramResidentEnd, long? DramValuePeak, long? MaxAboveShare, string? Sweeps,
    double KernelShare, double FaultsPerThousandOps, double KeysInDramShare);

/// <summary>The cache part's table and reference line.</summary>
internal static class CacheReport
{
    /// <summary>What a placement that knew the key probabilities would serve from DRAM with the same byte share.</summary>
    public static string OracleLine(BenchOptions options, OperationTrace trace, int[] lengths)
    {
        double budget = lengths.Sum(l => (double)l) * options.DramShare;
        double Served(IEnumerable<int> order)
        {
            double bytes = 0, served = 0;
            foreach (int key in order)
            {
                if (bytes + lengths[key] > budget) break;
                bytes += lengths[key];
                served += trace.KeyProbability[key];
            }
            return served;
        }
        double hottest = Served(Enumerable.Range(0, lengths.Length).OrderByDescending(k => trace.KeyProbability[k]));
        double perByte = Served(Enumerable.Range(0, lengths.Length).OrderByDescending(k => trace.KeyProbability[k] / lengths[k]));
        return $"Reference: with DRAM at {Stats.Percent(options.DramShare)} of the value bytes, a placement that knew the key probabilities would serve " +
               $"{Stats.Percent(hottest)} of gets from DRAM (hottest keys first), {Stats.Percent(perByte)} (most accesses per byte first); placement by bytes alone, about {Stats.Percent(options.DramShare)}.";
    }


    public static CacheResult Result(CacheUnderTest cache, List<double> ops, List<double> dramOps, long recordedTicks)
    {
        MemoryKind? dram = cache.Memory.DramKind;
        var tiered = cache.Memory as TieredValueMemory;
        string? sweeps = null;
        if (cache.Promotion is PromotionSweep p && p.Sweeps > 0)
        {
            sweeps = $"{p.Sweeps} sweeps: {Stats.F((double)p.Promoted / p.Sweeps, 1)} promoted and {Stats.F((double)p.Demoted / p.Sweeps, 1)} demoted per sweep, " +
                     $"{Stats.Bytes(p.BytesMoved / p.Sweeps)} moved per sweep, {Stats.F(p.Ticks * 1e3 / System.Diagnostics.Stopwatch.Frequency / p.Sweeps, 2)} ms per sweep " +
                     $"({Stats.Percent((double)p.Ticks / recordedTicks)} of the time)";
        }
        return new CacheResult(
            cache.Name, Stats.Median(ops), Stats.MedianRatio(ops, dramOps),
            cache.Gets == 0 ? 0 : (double)cache.DramGets / cache.Gets,
            cache.Memory.DramBytes, cache.Memory.TotalBytes,
            dram?.GetCounters().PeakResident ?? 0, dram?.GetStats().Resident ?? 0,
            tiered?.PeakDramBytes, tiered?.MaxBytesAboveShare, sweeps,
            cache.KernelMicroseconds * 1e-6 * System.Diagnostics.Stopwatch.Frequency / recordedTicks,
            1000.0 * cache.MinorFaults / (cache.Gets + cache.Sets),
            (double)cache.KeysInDram / cache.Entries.Length);
    }


    public static void Table(StringBuilder report, List<CacheResult> results)
    {
        Output.Line(report, "");
        Output.Line(report, "| configuration | ops/s (median) | vs all DRAM | gets served from DRAM | DRAM value bytes at the end (share) | DRAM value bytes, peak | DRAM kind resident, peak / end | kernel CPU; page faults per 1k ops |");
        Output.Line(report, "|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (CacheResult r in results)
        {
            string peak = r.DramValuePeak is long p ? Stats.Bytes(p) : r.DramValueBytes > 0 ? Stats.Bytes(r.DramValueBytes) + " (all)" : "0";
            Output.Line(report, $"| {r.Name} | {r.OpsPerSecond:N0} | {Stats.F(r.VsAllDram)}x | {Stats.Percent(r.DramGetShare)} | " +
                         $"{Stats.Bytes(r.DramValueBytes)} ({Stats.Percent((double)r.DramValueBytes / r.TotalValueBytes)}) | {peak} | " +
                         $"{Stats.Bytes(r.DramResidentPeak)} / {Stats.Bytes(r.DramResidentEnd)} | {Stats.Percent(r.KernelShare)}; {Stats.F(r.FaultsPerThousandOps, 1)} |");
        }
        Output.Line(report, "");
        foreach (CacheResult r in results)
        {
            if (r.MaxAboveShare is long above)
                Output.Line(report, $"- {r.Name}: {Stats.Percent(r.KeysInDramShare)} of the keys in DRAM at the end; DRAM held at most {(above > 0 ? Stats.Bytes(above) + " more than" : Stats.Bytes(-above) + " less than")} its share at any placement or sweep" + (r.Sweeps is null ? "." : $"; {r.Sweeps}."));
        }
    }
}
