// MemoryKinds workload runner: multi-thread, large, kinds and space workloads over every contender, in one process,
// contenders taking turns (interleaved). See docs/benchmarks.md and bench/run.sh.
//   dotnet run -c Release -- [--quick | --check] [--docs ../../docs/benchmarks.md] [--rounds N]
// --check: one tiny round of every workload, for the correctness checks only (CI); exit code 3 on wrong block contents.
using System.Diagnostics;
using MemoryKinds.Benchmarks;

return Runner.Start(args);

internal static class Runner
{
    public static int Start(string[] args)
    {
        string mode = args.Contains("--check") ? "check" : args.Contains("--quick") ? "quick" : "full";
        string? docs = Arg(args, "--docs");
        string results = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../results")); // bench/MemoryKinds.Workloads/results
        string chartDir = Arg(args, "--charts") ?? (docs is null ? results : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(docs))!, "benchmarks"));
        string? only = Arg(args, "--only");
        try
        {
            var run = new Run(mode, only, Arg(args, "--rounds") is string r ? int.Parse(r) : null);
            run.Execute();
            string markdown = run.Markdown(chartDir, docs);
            Directory.CreateDirectory(results);
            File.WriteAllText(Path.Combine(results, $"workloads-{mode}{(only is null ? "" : "-" + only.Replace(' ', '-'))}.md"), markdown);
            Console.WriteLine($"Wrote {Path.Combine(results, $"workloads-{mode}{(only is null ? "" : "-" + only.Replace(' ', '-'))}.md")} (charts in {chartDir})");
            if (docs is not null) Docs.Update(docs, markdown, only ?? "all");
            Console.WriteLine(mode == "check"
                ? "WORKLOAD CHECKS PASSED: every freed block had the contents written to it (timings not checked)."
                : $"Done in {run.Elapsed.TotalSeconds:F0} s; every freed block had the contents written to it.");
            foreach (string m in run.Missing) Console.WriteLine(m);
            return 0;
        }
        catch (BlockCorruptedException e)
        {
            Console.Error.WriteLine($"FAILED: {e.Message}\n{e.StackTrace}");
            return 3;
        }
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

internal sealed class Run
{
    private readonly string _mode;
    private readonly string? _only;
    private readonly double _scale;
    private readonly int _rounds;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    public List<string> Missing { get; } = new();
    public List<Contender> Contenders { get; private set; } = new();
    public List<Cell> Cells { get; } = new();
    public List<Cell> KindCells { get; } = new();
    public List<SpaceWorkloads.FillResult> Fills { get; } = new();
    public List<SpaceWorkloads.MixedResult> Mixed { get; } = new();
    public List<SpaceWorkloads.MixedFillResult> MixedFills { get; } = new();
    public List<SpaceClassWorkloads.ClassResult> ClassFills { get; } = new();
    public List<ConservativeWorkloads.CycleResult> Cycles { get; } = new();
    public List<ConservativeWorkloads.PairResult> Pairs { get; } = new();
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>
    /// Not a contender of the timed and space workloads (only of the kinds workloads, where kinds are made and destroyed
    /// one after another): with two memkind pmem kinds in use in one process (/dev/shm and /tmp), memkind 1.14.0 (Debian
    /// libmemkind0) segfaults inside libmemkind.so.0 — every time in "large 16 MiB" (single thread: alloc + touch + free
    /// alternating between the two kinds), and in about half of the quick multi-thread runs (larson 4T, xmalloc 4P+4C,
    /// mstress) even when only one of them allocates. With one pmem kind it ran clean. memkind's pmem kind on /dev/shm is
    /// the reference for every "vs memkind pmem" ratio.
    /// </summary>
    public static readonly string[] MultiThreadExcluded = ["memkind pmem /tmp"];
    public const string MultiThreadExcludedNote =
        "memkind pmem /tmp is not a contender here (only in the kinds workloads): with two memkind pmem kinds in one process, " +
        "memkind 1.14.0 segfaults inside libmemkind.so.0 (see \"Known problems\" below), so \"vs memkind pmem\" is against memkind pmem /dev/shm for every contender.";
    private int _step, _steps;

    public Run(string mode, string? only, int? rounds)
    {
        _mode = mode;
        _only = only;
        (_scale, _rounds) = mode switch { "check" => (0.01, 1), "quick" => (0.15, 3), _ => (1.0, 5) };
        if (rounds is int n) _rounds = n;
    }

    private bool Wanted(string group, string? name = null) =>
        _only is null || group.StartsWith(_only, StringComparison.Ordinal) || (name?.StartsWith(_only, StringComparison.Ordinal) ?? false);

    private int S(double full, int min = 1) => Math.Max(min, (int)(full * _scale));

    public void Execute()
    {
        Console.WriteLine($"MemoryKinds workloads, {_mode} mode: {_rounds} round(s) per cell, contenders interleaved (order rotating per round).");
        Console.WriteLine($"Machine: {Environment.ProcessorCount} CPUs, kernel {Environment.OSVersion.Version}, .NET {Environment.Version}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Contenders = global::MemoryKinds.Benchmarks.Contenders.CreateAll(Missing, memkindTmp: false); // see MultiThreadExcluded
        if (Environment.GetEnvironmentVariable("WORKLOADS_CONTENDER") is string filter) // a few contenders only: names containing one of '|'-separated parts
            Contenders = Contenders.Where(c => filter.Split('|').Any(part => c.Name.Contains(part, StringComparison.Ordinal))).ToList();
        if (Environment.GetEnvironmentVariable("WORKLOADS_EXCLUDE") is string exclude) // run.sh: after memkind crashed the process repeatedly
        {
            foreach (Contender c in Contenders.Where(c => c.Name.Contains(exclude, StringComparison.Ordinal)))
                Missing.Add($"{c.Name} EXCLUDED from this section: it crashed the process (SIGSEGV inside its library) in every attempt; see Known problems.");
            Contenders = Contenders.Where(c => !c.Name.Contains(exclude, StringComparison.Ordinal)).ToList();
        }
        foreach (Contender c in Contenders) c.Prime();
        foreach (string m in Missing) Console.WriteLine(m);
        Console.WriteLine("Contenders: " + string.Join(", ", Contenders.Select(c => c.Name)));

        int cores = Environment.ProcessorCount;
        // 1, 2, and twice and four times the cores (4 and 8 here): issue 9 asks for the thread workloads at 4 and 8 on 2 cores.
        int[] threadCounts = new[] { 1, 2, 2 * cores, 4 * cores }.Distinct().ToArray();
        var workloads = new List<IWorkload>();
        foreach (int t in threadCounts) workloads.Add(new Larson(t, S(2_000_000, 2000)));
        foreach (int t in threadCounts) workloads.Add(new Xmalloc(t, S(2_000_000, 4096)));
        foreach (int t in threadCounts) workloads.Add(new CacheScratch(t, S(1000, 10), S(50_000, 100)));
        foreach (int t in threadCounts) workloads.Add(new Mstress(t, S(10, 2), S(100_000, 1000) / t));
        foreach (int kib in new[] { 64, 256, 1024, 4096, 16384 }) workloads.Add(new Large((nuint)kib << 10, (long)S(2048, 64) << 20));
        workloads = workloads.Where(w => Wanted(w.Group, w.Name)).ToList();
        var kindContenders = Wanted("kinds") ? KindWorkloads.All() : new();
        var fillContenders = Wanted("space-fill") ? SpaceWorkloads.FillContenders(Dirs.Shm) : new();
        _steps = workloads.Count + (Wanted("kinds") ? 2 : 0) + (Wanted("space-fill") ? 1 : 0) + (Wanted("space-bounded") ? 1 : 0) + (Wanted("space-class") ? 1 : 0) + (Wanted("conservative") ? 1 : 0) + (Wanted("space-mixed") ? 1 : 0);

        foreach (IWorkload w in workloads)
        {
            var cell = new Cell(w);
            Cells.Add(cell);
            Progress($"{w.Name}");
            int rounds = _mode == "check" ? 1 : _rounds + 1; // round 0 is a warm-up, not recorded
            for (int round = 0; round < rounds; round++)
            {
                for (int k = 0; k < Contenders.Count; k++)
                {
                    Contender c = Contenders[(k + round) % Contenders.Count];
                    double ms = c.Run(w);
                    if (round > 0 || _mode == "check") (cell.Ms.TryGetValue(c.Name, out var l) ? l : cell.Ms[c.Name] = new()).Add(ms);
                }
            }
            Summary(cell);
        }

        // Destroy the timed contenders' kinds now: the kinds and space workloads make their own, and two memkind pmem
        // kinds alive at once crash memkind 1.14.0 (see MultiThreadExcluded). The names stay for the tables.
        bool mixed = Wanted("space-mixed");
        if (!mixed) foreach (Contender c in Contenders) c.Dispose();

        if (Wanted("kinds"))
        {
            RunKinds(kindContenders, "kind lifecycle", S(100, 3), n => $"create+alloc+free+destroy ×{n}", KindWorkloads.Lifecycle, _rounds);
            int alive = _mode == "full" ? 1000 : _mode == "quick" ? 200 : 20;
            RunKinds(kindContenders, $"{alive} kinds alive", alive, n => $"{n} kinds alive", KindWorkloads.Alive, Math.Min(_rounds, 3));
        }

        if (Wanted("space-fill"))
        {
            int cycles = _mode == "full" ? 100 : _mode == "quick" ? 10 : 2;
            Progress($"space: fill a {Report.Bytes(SpaceWorkloads.BoundedSize)} kind to failure, free, refill ×{cycles}");
            foreach (nuint size in SpaceWorkloads.SmallSizes.Concat(SpaceWorkloads.LargeSizes))
                foreach (var fc in fillContenders)
                {
                    var r = SpaceWorkloads.Fill(fc, size, cycles);
                    Fills.Add(r);
                    Console.WriteLine($"    {Report.Bytes((long)size),8} {fc.Name,-40} first {r.First,8} min {r.Min,8} kept {r.Kept:P1} ({r.Ms:F0} ms)");
                }
        }
        if (Wanted("space-class"))
        {
            Progress($"space: one size class at a time in a {Report.Bytes(SpaceClassWorkloads.KindSize)} kind, fill, free, refill");
            ClassFills.AddRange(SpaceClassWorkloads.Run(Dirs.Shm, SpaceClassWorkloads.Sizes(_mode), Console.WriteLine));
        }
        if (Wanted("space-bounded"))
        {
            int rounds = _mode == "full" ? 5 : _mode == "quick" ? 3 : 1;
            Progress($"space: fill a {Report.Bytes(SpaceWorkloads.MixedFillSize)} kind with mixed sizes to failure, free half, refill; {rounds} seed(s)");
            var bounded = SpaceWorkloads.FillContenders(Dirs.Shm).Concat(SpaceWorkloads.FillContenders(Dirs.Tmp));
            foreach (var fc in bounded.Where(f => !f.Name.EndsWith("Conservative", StringComparison.Ordinal)))
                for (int seed = 1; seed <= rounds; seed++)
                {
                    var r = SpaceWorkloads.MixedFill(fc, seed);
                    MixedFills.Add(r);
                    Console.WriteLine($"    {fc.Name,-40} seed {seed} first {Report.Bytes(r.FirstLive)} refill {Report.Bytes(r.RefillLive)} {r.Where}");
                }
        }
        if (Wanted("conservative"))
        {
            int cycles = _mode == "full" ? 10 : _mode == "quick" ? 4 : 2;
            Progress($"conservative: fill a {Report.Bytes(ConservativeWorkloads.CycleKindSize)} Conservative kind to failure and free all, ×{cycles}; 64 B pairs that empty their page");
            var conservative = SpaceWorkloads.FillContenders(Dirs.Shm).Concat(SpaceWorkloads.FillContenders(Dirs.Tmp))
                .Where(f => f.Name.EndsWith("Conservative", StringComparison.Ordinal)).ToList();
            foreach (nuint size in ConservativeWorkloads.CycleSizes)
                foreach (var fc in conservative)
                {
                    var r = ConservativeWorkloads.Cycle(fc, size, cycles);
                    Cycles.Add(r);
                    Console.WriteLine($"    {Report.Bytes((long)size),8} {fc.Name,-40} {r.Blocks,8} blocks {r.MsPerCycle,8:F1} ms/cycle, file after free-all {Report.Bytes(r.FileAfterFree)}");
                }
            foreach (string dir in new[] { Dirs.Shm, Dirs.Tmp })
            {
                var r = ConservativeWorkloads.Pair(dir, S(20_000, 200));
                Pairs.Add(r);
                Console.WriteLine($"    {r.Contender,-40} {r.MicrosecondsPerPair:F1} µs per 64 B alloc+free pair");
            }
        }
        // In a process of its own in run.sh (--only space-mixed): after the fill workloads made and destroyed memkind pmem
        // kinds, memkind 1.14.0 crashed in the mixed workload in 2 of 3 quick runs.
        if (Wanted("space-mixed"))
        {
            long peakLive = _mode == "full" ? 128L << 20 : _mode == "quick" ? 48L << 20 : 4L << 20;
            int mixedRounds = 1;
            Progress($"space: mixed workload to {Report.Bytes(peakLive)} live, {mixedRounds} round(s)");
            // One round on this process's contenders: run.sh runs space-mixed in a process of its own, so kinds, files and
            // the mimalloc arena are fresh (a second memkind pmem kind in the process crashes memkind 1.14.0).
            var byName = new Dictionary<string, List<SpaceWorkloads.MixedResult>>();
            for (int k = 0; k < Contenders.Count; k++)
            {
                Contender c = Contenders[k];
                (byName.TryGetValue(c.Name, out var l) ? l : byName[c.Name] = new()).Add(SpaceWorkloads.Mixed(c, peakLive, 42));
            }
            foreach (Contender c in Contenders)
            {
                var results = byName[c.Name];
                var m = results.OrderBy(x => x.PeakFile).ElementAt(results.Count / 2) with
                {
                    PeakRssGrowth = (long)Report.Median(results.Select(x => (double)x.PeakRssGrowth)),
                    Ms = Report.Median(results.Select(x => x.Ms)),
                };
                Mixed.Add(m);
                Console.WriteLine($"    {c.Name,-32} peak live {Report.Bytes(m.PeakLive)}, peak file {Report.Bytes(m.PeakFile)} " +
                                  $"({(m.PeakFile > 0 ? Report.F((double)m.PeakFile / m.PeakLive) : "n/a")}), after free-all {Report.Bytes(m.FinalFile)}, " +
                                  $"peak RSS growth {Report.Bytes(m.PeakRssGrowth)} ({Report.F((double)m.PeakRssGrowth / m.PeakLive)}), {m.Ms:F0} ms");
            }
        }
        if (mixed) foreach (Contender c in Contenders) c.Dispose();
    }


    private void RunKinds(List<KindWorkloads.KindContender> contenders, string name, int count, Func<int, string> what,
        Func<KindWorkloads.KindContender, int, double> body, int roundCount)
    {
        var cell = new Cell(new KindCell(name, count));
        KindCells.Add(cell);
        Progress($"kinds: {what(count)}");
        int rounds = _mode == "check" ? 1 : roundCount;
        for (int round = 0; round < rounds; round++)
        {
            for (int k = 0; k < contenders.Count; k++)
            {
                var c = contenders[(k + round) % contenders.Count];
                if (cell.Failed.ContainsKey(c.Name)) continue;
                try
                {
                    double ms = body(c, count);
                    (cell.Ms.TryGetValue(c.Name, out var l) ? l : cell.Ms[c.Name] = new()).Add(ms);
                }
                catch (KindLimitException e)
                {
                    cell.Failed[c.Name] = e.Message;
                    Console.WriteLine("    " + e.Message);
                }
            }
        }
        Summary(cell);
    }

    private void Progress(string what) =>
        Console.WriteLine($"[{++_step}/{_steps}] {_clock.Elapsed:mm\\:ss} {what}");

    private static void Summary(Cell cell)
    {
        foreach (var (name, ms) in cell.Ms)
            Console.WriteLine($"    {name,-32} median {Report.Median(ms),9:F1} ms  min {ms.Min(),9:F1} ms");
    }

    public string Markdown(string chartDir, string? docs)
    {
        string tag = _only is null ? "" : "-" + _only.Replace(' ', '-');
        var names = Contenders.Select(c => c.Name).ToList();
        var sb = new System.Text.StringBuilder();
        string rel(string file) => docs is null ? Path.Combine(chartDir, file)
            : Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(docs))!, Path.Combine(chartDir, file));
        sb.AppendLine($"<sub>Mode `{_mode}`: {(_mode == "check" ? 1 : _rounds)} recorded round(s) per cell after a warm-up round, contenders taking turns in one process " +
                      $"(order rotating each round); medians of wall time per run; ratios are ratios of medians (< 1 = faster than the reference). " +
                      $"Run took {Elapsed.TotalMinutes:F1} min. Load average at the end: {File.ReadAllText("/proc/loadavg").Trim()}.</sub>");
        sb.AppendLine();
        foreach (string m in Missing) sb.AppendLine($"- **{m}**");
        if (Missing.Count > 0) sb.AppendLine();
        if (Cells.Count > 0) { sb.AppendLine($"<sub>{MultiThreadExcludedNote}</sub>"); sb.AppendLine(); }

        var mt = Cells.Where(c => c.Workload.Group == "multi-thread").ToList();
        var large = Cells.Where(c => c.Workload.Group == "large").ToList();
        if (mt.Count > 0)
        {
            Report.Bars(Path.Combine(chartDir, $"workloads-multithread{tag}.png"), "Multi-thread workloads: time relative to NativeMemory (lower is better)",
                "time / NativeMemory time", mt.Select(c => c.Workload.Name).ToList(),
                names.Select(n => (n, mt.Select(c => c.Median(n) is double v && c.Median(Contenders_.Native) is double b ? v / b : double.NaN).ToArray())).ToList(),
                log: true, referenceLine: 1);
            sb.AppendLine($"### Multi-thread workloads{(_only is null ? "" : $": {_only}")}");
            sb.AppendLine();
            sb.AppendLine($"![multi-thread workloads]({rel($"workloads-multithread{tag}.png")})");
            sb.AppendLine();
            sb.Append(Report.TimedTable(mt, names));
            sb.AppendLine();
        }
        if (large.Count > 0)
        {
            Report.Bars(Path.Combine(chartDir, $"workloads-large{tag}.png"), "Large blocks: alloc + write every page + free, ns per 4 KiB page (lower is better)",
                "ns per page", large.Select(c => c.Workload.Name).ToList(),
                names.Select(n => (n, large.Select(c => c.Median(n) is double v ? v * 1e6 / c.Workload.Units : double.NaN).ToArray())).ToList(),
                log: true);
            sb.AppendLine("### Large blocks");
            sb.AppendLine();
            sb.AppendLine($"![large blocks]({rel($"workloads-large{tag}.png")})");
            sb.AppendLine();
            sb.Append(Report.TimedTable(large, names));
            sb.AppendLine();
        }
        if (KindCells.Count > 0)
        {
            var kindNames = KindCells.SelectMany(c => c.Ms.Keys.Concat(c.Failed.Keys)).Distinct().ToList();
            Report.Bars(Path.Combine(chartDir, $"workloads-kinds{tag}.png"), "Kinds: µs per kind (create + alloc + free + destroy; lower is better)",
                "µs per kind", KindCells.Select(c => c.Workload.Name).ToList(),
                kindNames.Select(n => (n, KindCells.Select(c => c.Median(n) is double v ? v * 1000 / c.Workload.Units : double.NaN).ToArray())).ToList(),
                log: true);
            sb.AppendLine("### Kinds");
            sb.AppendLine();
            sb.AppendLine($"![kinds]({rel($"workloads-kinds{tag}.png")})");
            sb.AppendLine();
            sb.AppendLine("| Workload | Contender | Median ms per run | µs per kind | memkind pmem / this (same dir) |");
            sb.AppendLine("|---|---|---:|---:|---:|");
            foreach (Cell c in KindCells)
                foreach (string n in kindNames)
                {
                    if (c.Failed.TryGetValue(n, out string? why)) { sb.AppendLine($"| {c.Workload.Name} | {n} | failed | {why.Replace('|', '/')} | |"); continue; }
                    if (c.Median(n) is not double med) continue;
                    string memkind = n.Contains(Dirs.Tmp) ? $"memkind pmem {Dirs.Tmp}" : $"memkind pmem {Dirs.Shm}";
                    sb.AppendLine($"| {c.Workload.Name} | {n} | {Report.F(med, 1)} | {Report.F(med * 1000 / c.Workload.Units, 1)} | {(c.Median(memkind) is double mm ? Report.F(mm / med) + "x" : "–")} |");
                }
            sb.AppendLine();
        }
        if (Fills.Count > 0)
        {
            var sizes = Fills.Select(f => f.Size).Distinct().ToList();
            var fillNames = Fills.Select(f => f.Contender).Distinct().ToList();
            Report.Bars(Path.Combine(chartDir, $"workloads-space-fill{tag}.png"), $"Bounded {Report.Bytes(SpaceWorkloads.BoundedSize)} kind: smallest refill count / first fill count ({Fills[0].Cycles} cycles)",
                "fraction kept", sizes.Select(s => Report.Bytes((long)s)).ToList(),
                fillNames.Select(n => (n, sizes.Select(s => Fills.FirstOrDefault(f => f.Contender == n && f.Size == s)?.Kept ?? double.NaN).ToArray())).ToList(),
                log: false, referenceLine: 0.98);
            sb.AppendLine("### Space: fill a bounded kind to failure, free all, refill");
            sb.AppendLine();
            sb.AppendLine($"![space fill]({rel($"workloads-space-fill{tag}.png")})");
            sb.AppendLine();
            sb.AppendLine($"A {Report.Bytes(SpaceWorkloads.BoundedSize)} pmem kind in /dev/shm per policy; {Fills[0].Cycles} fill/free cycles per size; kept = smallest count of cycles 2..N / count of cycle 1.");
            sb.AppendLine();
            sb.AppendLine("| Size | Contender | First fill (blocks) | Smallest refill | Last refill | Kept | First fill × size / kind size | ms |");
            sb.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|");
            foreach (var f in Fills)
                sb.AppendLine($"| {Report.Bytes((long)f.Size)} | {f.Contender} | {f.First} | {f.Min} | {f.Last} | {f.Kept:P1} | {Report.F((double)f.First * (long)f.Size / SpaceWorkloads.BoundedSize)} | {f.Ms:F0} |");
            sb.AppendLine();
        }
        if (ClassFills.Count > 0)
            sb.Append(SpaceClassWorkloads.Section(ClassFills, Path.Combine(chartDir, $"workloads-space-class{tag}.png"), rel($"workloads-space-class{tag}.png")));
        if (MixedFills.Count > 0)
        {
            var fillGroups = MixedFills.GroupBy(m => m.Contender).ToList();
            Report.Bars(Path.Combine(chartDir, $"workloads-space-bounded{tag}.png"), $"A {Report.Bytes(SpaceWorkloads.MixedFillSize)} kind filled with mixed sizes: MiB live (median over seeds; higher is better)",
                "MiB live", fillGroups.Select(g => g.Key).ToList(),
                [("at first failure", fillGroups.Select(g => Report.Median(g.Select(m => (double)m.FirstLive)) / (1 << 20)).ToArray()),
                 ("after freeing half and refilling", fillGroups.Select(g => Report.Median(g.Select(m => (double)m.RefillLive)) / (1 << 20)).ToArray())],
                log: false, referenceLine: 58);
            sb.AppendLine($"### Space: a {Report.Bytes(SpaceWorkloads.MixedFillSize)} kind filled with mixed sizes to the first failure");
            sb.AppendLine();
            sb.AppendLine($"![space bounded]({rel($"workloads-space-bounded{tag}.png")})");
            sb.AppendLine();
            sb.AppendLine("90% 16–1024 B, 9% 1–64 KiB, 1% 64 KiB–1 MiB until the first failure (live = sum of requested sizes), then a random half freed and the kind refilled to the next failure; medians over seeds.");
            sb.AppendLine();
            sb.AppendLine("| Contender | Live at first failure | After freeing half and refilling | Seeds |");
            sb.AppendLine("|---|---:|---:|---:|");
            foreach (var g in MixedFills.GroupBy(m => m.Contender))
                sb.AppendLine($"| {g.Key} | {Report.Bytes((long)Report.Median(g.Select(m => (double)m.FirstLive)))} | {Report.Bytes((long)Report.Median(g.Select(m => (double)m.RefillLive)))} | {g.Count()} |");
            sb.AppendLine();
        }
        if (Cycles.Count > 0)
        {
            var ours = Cycles.Where(c => c.Contender.StartsWith("MemoryKinds", StringComparison.Ordinal)).Select(c => c.Contender).Distinct().ToList();
            var cycleSizes = Cycles.Select(c => c.Size).Distinct().ToList();
            double VsMemkind(string name, nuint size)
            {
                var o = Cycles.FirstOrDefault(c => c.Contender == name && c.Size == size);
                var m = Cycles.FirstOrDefault(c => c.Size == size && c.Contender == $"memkind pmem {(name.Contains(Dirs.Tmp) ? Dirs.Tmp : Dirs.Shm)} Conservative");
                return o is null || m is null || m.MsPerCycle <= 0 ? double.NaN : o.MsPerCycle / m.MsPerCycle;
            }
            Report.Bars(Path.Combine(chartDir, $"workloads-conservative{tag}.png"), "Conservative fill/free-all cycle: time relative to memkind's Conservative kind, same directory (lower is better)",
                "ours / memkind", cycleSizes.Select(s => Report.Bytes((long)s)).ToList(),
                ours.Select(n => (n, cycleSizes.Select(s => VsMemkind(n, s)).ToArray())).ToList(), log: false, referenceLine: 1.0);
            sb.AppendLine($"### Conservative: fill a {Report.Bytes(ConservativeWorkloads.CycleKindSize)} kind with one size, free all, repeat");
            sb.AppendLine();
            sb.AppendLine($"![conservative]({rel($"workloads-conservative{tag}.png")})");
            sb.AppendLine();
            sb.AppendLine("ms per fill+free-all cycle (median of the cycles after the first); ratio = ours / memkind's in the same directory (< 1 is faster).");
            sb.AppendLine();
            sb.AppendLine("| Size | Contender | Blocks | ms per cycle | vs memkind | File after free-all |");
            sb.AppendLine("|---:|---|---:|---:|---:|---:|");
            foreach (var c in Cycles)
            {
                string dir = c.Contender.Contains(Dirs.Tmp) ? Dirs.Tmp : Dirs.Shm;
                var memkind = Cycles.FirstOrDefault(m => m.Size == c.Size && m.Contender == $"memkind pmem {dir} Conservative");
                sb.AppendLine($"| {Report.Bytes((long)c.Size)} | {c.Contender} | {c.Blocks} | {Report.F(c.MsPerCycle, 1)} | {Report.Ratio(c.MsPerCycle, memkind?.MsPerCycle)} | {Report.Bytes(c.FileAfterFree)} |");
            }
            sb.AppendLine();
            foreach (var p in Pairs) sb.AppendLine($"- {p.Contender}: {Report.F(p.MicrosecondsPerPair, 1)} µs per 64 B alloc+free pair that empties its page.");
            sb.AppendLine();
        }
        if (Mixed.Count > 0)
        {
            Report.Bars(Path.Combine(chartDir, $"workloads-space-mixed{tag}.png"), "Mixed workload: peak bytes / peak live bytes (lower is better)",
                "bytes / peak live bytes", Mixed.Select(m => m.Contender).ToList(),
                [("peak file bytes (st_blocks)", Mixed.Select(m => m.PeakFile > 0 ? (double)m.PeakFile / m.PeakLive : double.NaN).ToArray()),
                 ("peak RSS growth", Mixed.Select(m => m.PeakRssGrowth > 0 ? (double)m.PeakRssGrowth / m.PeakLive : double.NaN).ToArray())],
                log: false, referenceLine: 1.3);
            sb.AppendLine("### Space: mixed workload");
            sb.AppendLine();
            sb.AppendLine($"![space mixed]({rel($"workloads-space-mixed{tag}.png")})");
            sb.AppendLine();
            sb.AppendLine("| Contender | Peak live | Peak file (st_blocks) | File / live | File after free-all | Peak RSS growth | RSS / live | ms | ops |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var m in Mixed)
                sb.AppendLine($"| {m.Contender} | {Report.Bytes(m.PeakLive)} | {Report.Bytes(m.PeakFile)} | {(m.PeakFile > 0 ? Report.F((double)m.PeakFile / m.PeakLive) : "n/a")} | " +
                              $"{Report.Bytes(m.FinalFile)} | {Report.Bytes(m.PeakRssGrowth)} | {Report.F((double)m.PeakRssGrowth / m.PeakLive)} | {m.Ms:F0} | {m.Ops} |");
            sb.AppendLine();
        }
        return sb.ToString();
    }
}

internal static class Contenders_
{
    public const string Native = MemoryKinds.Benchmarks.Contenders.Native;
}

/// <summary>A kinds cell (not run through IWorkload: kinds are created by the workload itself).</summary>
internal sealed class KindCell(string name, int count) : IWorkload
{
    public string Group => "kinds";
    public string Name => name;
    public double Units => count;
    public string UnitName => "µs each";
    public double Run<T>(T allocator) where T : struct, IAllocator => throw new NotSupportedException();
}

/// <summary>Replaces the generated part of docs/benchmarks.md (between the workload markers), or appends it.</summary>
internal static class Docs
{
    public static void Update(string path, string markdown, string key)
    {
        string Begin = $"<!-- workloads:{key}:begin (generated by bench/MemoryKinds.Workloads; do not edit by hand) -->";
        string End = $"<!-- workloads:{key}:end -->";
        string text = File.Exists(path) ? File.ReadAllText(path) : "";
        string block = $"{Begin}\n{markdown}{End}";
        int b = text.IndexOf(Begin, StringComparison.Ordinal), e = text.IndexOf(End, StringComparison.Ordinal);
        text = b >= 0 && e > b ? text[..b] + block + text[(e + End.Length)..] : text.TrimEnd() + "\n\n" + block + "\n";
        File.WriteAllText(path, text);
        Console.WriteLine($"Updated {Path.GetFullPath(path)}");
    }
}
