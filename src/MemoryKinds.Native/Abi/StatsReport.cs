using System.Text;

namespace MemoryKinds.Native.Abi;

/// <summary>The text memkind_stats_print hands out: general facts, totals over every kind, and each kind's own report.</summary>
internal static class StatsReport
{
    private const int Json = 1, OmitGeneral = 1 << 1, OmitMerged = 1 << 2, OmitPerKind = 1 << 4;

    public static string Build(List<AbiKind> kinds, int options)
    {
        long allocated = 0, active = 0, resident = 0;
        var reports = new List<(string Name, string Report)>(kinds.Count);
        bool json = (options & Json) != 0;
        foreach (AbiKind entry in kinds)
        {
            MemoryKind kind = entry.Kind!;
            KindStats stats = kind.GetStats();
            (allocated, active, resident) = (allocated + stats.Allocated, active + stats.Active, resident + stats.Resident);
            if ((options & OmitPerKind) == 0) reports.Add((entry.Name, kind.GetStatsReport(json ? StatsFormat.Json : StatsFormat.Text)));
        }
        var parts = new List<string>();
        if (json)
        {
            if ((options & OmitGeneral) == 0) parts.Add($"\"general\": {{\"library\": \"MemoryKinds libmemkind.so.0\", \"memkindVersion\": 1014000, \"kinds\": {kinds.Count}}}");
            if ((options & OmitMerged) == 0) parts.Add($"\"merged\": {{\"allocated\": {allocated}, \"active\": {active}, \"resident\": {resident}}}");
            if ((options & OmitPerKind) == 0) parts.Add("\"kinds\": {" + string.Join(", ", reports.Select(r => $"\"{r.Name}\": {r.Report}")) + "}");
            return "{\"memorykinds\": {" + string.Join(", ", parts) + "}}\n";
        }
        var text = new StringBuilder("--- MemoryKinds statistics ---\n");
        if ((options & OmitGeneral) == 0) text.Append($"MemoryKinds libmemkind.so.0 (memkind 1.14 ABI), {kinds.Count} kinds in use\n");
        if ((options & OmitMerged) == 0) text.Append($"all kinds: allocated {allocated}, active {active}, resident {resident}\n");
        foreach ((string name, string report) in reports) text.Append("kind ").Append(name).Append(":\n").Append(report).Append('\n');
        return text.Append("--- end of MemoryKinds statistics ---\n").ToString();
    }
}
