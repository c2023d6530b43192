using System.Text;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// <b>space-class</b> (issue 9, target 1): for every size class from 16 B to 1 MiB, a 32 MiB Default-policy pmem kind is
/// filled with blocks of that size to the first failure, freed, and refilled; ours against memkind's block counts. The
/// sizes are the library's block sizes (16-byte steps to 128 B, then eight per doubling; they include every jemalloc
/// class above 16 B, so memkind wastes nothing to rounding at them), large sizes to 1 MiB, and three odd requests.
/// </summary>
public static class SpaceClassWorkloads
{
    public const long KindSize = 32L << 20;

    public sealed record ClassResult(nuint Size, string Contender, int First, int Refill);

    /// <summary>Every size for a full run, every third for a quick one, four for the correctness check.</summary>
    public static List<nuint> Sizes(string mode)
    {
        if (mode == "check") return [16, 320, 7168, 1 << 20];
        var sizes = new SortedSet<nuint> { 300, 1000, 9800, 640 << 10, 768 << 10, 896 << 10, 1 << 20 };
        for (nuint s = 16; s <= 128; s += 16) sizes.Add(s);
        for (int k = 7; k < 19; k++)
            for (nuint m = 9; m <= 16; m++) sizes.Add(m << (k - 3));
        return mode == "quick" ? sizes.Where((_, i) => i % 3 == 0).ToList() : sizes.ToList();
    }

    public static List<ClassResult> Run(string directory, IReadOnlyList<nuint> sizes, Action<string> log)
    {
        var results = new List<ClassResult>();
        var contenders = SpaceWorkloads.FillContenders(directory).Where(f => !f.Name.EndsWith("Conservative", StringComparison.Ordinal)).ToList();
        foreach (nuint size in sizes)
            foreach (var fc in contenders)
            {
                var r = SpaceWorkloads.Fill(fc, size, cycles: 2, KindSize);
                results.Add(new ClassResult(size, fc.Name, r.First, r.Last));
                log($"    {Report.Bytes((long)size),8} {fc.Name,-40} first {r.First,8} refill {r.Last,8}");
            }
        return results;
    }

    /// <summary>The markdown section: one row per size, ours / memkind's count for the first fill and the refill.</summary>
    public static string Section(List<ClassResult> results, string chartPath, string chartLink)
    {
        var sb = new StringBuilder();
        string ours = results.First(r => r.Contender.StartsWith("MemoryKinds", StringComparison.Ordinal)).Contender;
        string? memkind = results.FirstOrDefault(r => r.Contender.StartsWith("memkind", StringComparison.Ordinal))?.Contender;
        var sizes = results.Select(r => r.Size).Distinct().ToList();
        ClassResult? Of(string? name, nuint size) => results.FirstOrDefault(r => r.Contender == name && r.Size == size);
        double Ratio(int a, int? b) => b is int y && y > 0 ? (double)a / y : double.NaN;
        sb.AppendLine($"### Space per size class: a {Report.Bytes(KindSize)} kind filled with one size, freed, refilled");
        sb.AppendLine();
        if (memkind is null)
        {
            sb.AppendLine("memkind is not installed here: no comparison.");
            return sb.ToString();
        }
        Report.Bars(chartPath, $"Blocks held by a {Report.Bytes(KindSize)} kind, ours / memkind's (first fill; >= 1 is more)", "ratio",
            sizes.Select(s => Report.Bytes((long)s)).ToList(),
            [("first fill", sizes.Select(s => Ratio(Of(ours, s)!.First, Of(memkind, s)?.First)).ToArray()),
             ("refill", sizes.Select(s => Ratio(Of(ours, s)!.Refill, Of(memkind, s)?.Refill)).ToArray())],
            log: false, referenceLine: 1.0);
        sb.AppendLine($"![space per class]({chartLink})");
        sb.AppendLine();
        var behind = sizes.Where(s => Ratio(Of(ours, s)!.First, Of(memkind, s)?.First) < 1 || Ratio(Of(ours, s)!.Refill, Of(memkind, s)?.Refill) < 1).ToList();
        sb.AppendLine(behind.Count == 0
            ? $"{ours} holds at least memkind's count at every one of the {sizes.Count} sizes, first fill and refill."
            : $"**Below memkind's count at {behind.Count} of {sizes.Count} sizes:** {string.Join(", ", behind.Select(s => Report.Bytes((long)s)))}.");
        sb.AppendLine();
        sb.AppendLine($"| Size | {ours} first | memkind first | ratio | {ours} refill | memkind refill | ratio |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (nuint s in sizes)
        {
            ClassResult o = Of(ours, s)!;
            ClassResult? m = Of(memkind, s);
            sb.AppendLine($"| {Report.Bytes((long)s)} | {o.First} | {m?.First} | {Report.F(Ratio(o.First, m?.First), 4)} | {o.Refill} | {m?.Refill} | {Report.F(Ratio(o.Refill, m?.Refill), 4)} |");
        }
        sb.AppendLine();
        return sb.ToString();
    }
}
