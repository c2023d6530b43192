using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// <c>--summarize DIR [DIR ...] [--charts OUTDIR]</c>: merges several runs of ../run-micro.sh into the micro tables of
/// docs/benchmarks.md, printed as markdown. Each DIR is a BenchmarkDotNet.Artifacts/results folder of one run (its
/// *-report.csv files). Per workload (class + parameters) and contender: the median over the runs of BenchmarkDotNet's
/// per-run median (ns per operation), the smallest per-run minimum, and time ratios of those medians to NativeMemory,
/// memkind pmem (the same directory's for the MemoryKinds pmem /tmp rows, /dev/shm's for the rest) and mimalloc (&lt; 1 =
/// faster). Then, per run, the ratios of MemoryKinds pmem /dev/shm, so the spread between runs is visible. With
/// --charts, one PNG per workload family into OUTDIR (see <see cref="MicroCharts"/>).
/// </summary>
internal static partial class RunSummary
{
    /// <summary>The workload classes with tables, in table order (KindLifecycle has its own table in docs/benchmarks.md).</summary>
    private static readonly string[] s_workloads = ["AllocFreePair", "Batch64", "RandomSizeMix", "CallocPair", "ReallocGrowth", "AlignedPair"];

    private static readonly Dictionary<string, double> s_units = new()
    {
        ["ns"] = 1.0, ["us"] = 1e3, ["\u03bcs"] = 1e3, ["\u00b5s"] = 1e3, ["ms"] = 1e6, ["s"] = 1e9,
    };

    /// <summary>A workload: the benchmark class and its parameters as "Name=value, ...", "" without parameters.</summary>
    internal readonly record struct Workload(string Class, string Parameters);

    /// <summary>One contender's numbers in one run (ns per operation; null = NA); <paramref name="Dry"/>: BenchmarkDotNet's Dry job.</summary>
    internal readonly record struct Cell(double? Median, double? Min, bool Dry);

    /// <summary>One run: per workload, per benchmark method.</summary>
    internal sealed class Run : Dictionary<Workload, Dictionary<string, Cell>>
    {
        public double? Median(Workload workload, string method) =>
            TryGetValue(workload, out var cells) && cells.TryGetValue(method, out Cell cell) ? cell.Median : null;

        public double? Min(Workload workload, string method) =>
            TryGetValue(workload, out var cells) && cells.TryGetValue(method, out Cell cell) ? cell.Min : null;
    }

    /// <summary>The runs merged: per workload and method, the median over runs of the medians and the smallest minimum.</summary>
    internal sealed class Merged(IReadOnlyList<Run> runs)
    {
        public IReadOnlyList<Run> Runs { get; } = runs;

        /// <summary>Every workload of any run: known classes in table order, then the rest by name; parameters in natural order.</summary>
        public IReadOnlyList<Workload> Workloads { get; } = runs.SelectMany(r => r.Keys).Distinct()
            .OrderBy(w => Array.IndexOf(s_workloads, w.Class) is int i and >= 0 ? i : 99)
            .ThenBy(w => Natural(w.Parameters), NaturalComparer.Instance)
            .ToList();

        /// <summary>Whether any run's row came from BenchmarkDotNet's Dry job (one cold invocation: not a measurement).</summary>
        public bool Dry { get; } = runs.Any(r => r.Values.Any(cells => cells.Values.Any(c => c.Dry)));

        public double? Median(Workload workload, string method) => MedianOf(Runs.Select(r => r.Median(workload, method)));

        public double? Min(Workload workload, string method) => Runs.Select(r => r.Min(workload, method)).Min();
    }

    /// <summary>The --summarize mode; <paramref name="args"/> are the DIRs and an optional --charts OUTDIR. Returns the exit code.</summary>
    public static int Summarize(string[] args)
    {
        var dirs = new List<string>();
        string? chartDir = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--charts") chartDir = i + 1 < args.Length ? args[++i] : null;
            else if (args[i].StartsWith("--", StringComparison.Ordinal)) return Usage($"unknown option {args[i]}");
            else dirs.Add(args[i]);
        }
        if (args.Contains("--charts") && chartDir is null) return Usage("--charts needs OUTDIR");
        if (dirs.Count == 0) return Usage("no results directory given");
        if (dirs.FirstOrDefault(d => !Directory.Exists(d)) is string missing) return Usage($"{missing} is not a directory");

        var merged = new Merged(dirs.Select(Load).ToList());
        byte[] markdown = new UTF8Encoding(false).GetBytes(Markdown(merged));
        using (Stream stdout = Console.OpenStandardOutput()) stdout.Write(markdown);
        if (chartDir is not null) MicroCharts.Write(merged, chartDir);
        return 0;
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"--summarize: {problem}.");
        Console.Error.WriteLine("Usage: bench/run-micro.sh --summarize RESULTS_DIR [RESULTS_DIR ...] [--charts OUTDIR]");
        Console.Error.WriteLine("  (each RESULTS_DIR a BenchmarkDotNet.Artifacts/results folder of one run; markdown on stdout, PNG charts into OUTDIR)");
        return 2;
    }

    /// <summary>The tables of docs/benchmarks.md's micro section (the format of the former summarize-runs.py, to the digit).</summary>
    internal static string Markdown(Merged merged)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Runs: {merged.Runs.Count}; cells are medians over the runs of each run's median (ns per operation).\n\n");
        foreach (Workload workload in merged.Workloads.Where(w => s_workloads.Contains(w.Class)))
        {
            text.Append($"### {workload.Class} {workload.Parameters}".TrimEnd()).Append("\n\n");
            MicroSummary.AppendTable(text, m => merged.Median(workload, m), m => merged.Min(workload, m), _ => true);
            IEnumerable<string> perRun = merged.Runs.Select((run, i) =>
            {
                double? mk = run.Median(workload, "MemoryKindsPmemShm");
                return $"run {i + 1}: {MicroSummary.Ratio(mk, run.Median(workload, "NativeMemory"))} / " +
                       $"{MicroSummary.Ratio(mk, run.Median(workload, "Mimalloc"))} / {MicroSummary.Ratio(run.Median(workload, "MemkindPmemShm"), mk)}";
            });
            text.Append("\nPer run, MemoryKinds pmem /dev/shm's time over NativeMemory's / over mimalloc's, and memkind pmem /dev/shm's over its: ")
                .Append(string.Join("; ", perRun)).Append("\n\n");
        }
        return text.ToString();
    }

    /// <summary>One run's results folder: every *-report.csv (the class is the last dotted part of the file name).</summary>
    internal static Run Load(string dir)
    {
        var run = new Run();
        foreach (string path in Directory.GetFiles(dir, "*-report.csv"))
        {
            string name = Path.GetFileName(path)[..^"-report.csv".Length];
            string benchmark = name[(name.LastIndexOf('.') + 1)..];
            List<string[]> rows = ReadCsv(File.ReadAllText(path, Encoding.UTF8));
            if (rows.Count == 0) continue;
            string[] header = rows[0];
            int first = Array.IndexOf(header, "WarmupCount") + 1, end = Array.IndexOf(header, "Mean");
            if (first == 0 || end < first) throw new InvalidDataException($"{path}: no WarmupCount ... Mean columns.");
            int method = Column(header, "Method", path), median = Column(header, "Median", path), min = Column(header, "Min", path);
            int job = Array.IndexOf(header, "Job");
            foreach (string[] row in rows.Skip(1))
            {
                if (row.Length < header.Length) throw new InvalidDataException($"{path}: a row has {row.Length} of {header.Length} columns.");
                string parameters = string.Join(", ", Enumerable.Range(first, end - first).Select(c => $"{header[c]}={row[c]}"));
                var key = new Workload(benchmark, parameters);
                if (!run.TryGetValue(key, out var cells)) run[key] = cells = [];
                cells[row[method]] = new Cell(Nanoseconds(row[median], path), Nanoseconds(row[min], path), job >= 0 && row[job] == "Dry");
            }
        }
        return run;
    }

    private static int Column(string[] header, string name, string path) =>
        Array.IndexOf(header, name) is int i and >= 0 ? i : throw new InvalidDataException($"{path}: no {name} column.");

    /// <summary>"1,409.7 ns", "21.48 μs" ... in ns; null for NA or empty.</summary>
    private static double? Nanoseconds(string text, string path)
    {
        text = text.Trim().Replace(",", "", StringComparison.Ordinal);
        if (text.Length == 0 || text == "NA") return null;
        string[] parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2 || !s_units.TryGetValue(parts[1], out double unit) ||
            !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw new InvalidDataException($"{path}: cannot read the time '{text}'.");
        return value * unit;
    }

    /// <summary>CSV records (RFC 4180: fields in double quotes may hold commas, quotes as "", and line breaks); blank lines skipped.</summary>
    private static List<string[]> ReadCsv(string text)
    {
        var rows = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, any = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"') field.Append(text[++i]);
                else quoted = false;
            }
            else if (c == '"' && field.Length == 0) quoted = any = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); any = true; }
            else if (c is '\n' or '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                EndRow();
            }
            else { field.Append(c); any = true; }
        }
        EndRow();
        return rows;

        void EndRow()
        {
            if (any) { fields.Add(field.ToString()); rows.Add(fields.ToArray()); }
            fields.Clear();
            field.Clear();
            any = false;
        }
    }

    /// <summary>The median of the values that are there (the mean of the middle two for an even count), null if none.</summary>
    internal static double? MedianOf(IEnumerable<double?> values)
    {
        double[] v = values.OfType<double>().Order().ToArray();
        if (v.Length == 0) return null;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    [GeneratedRegex(@"([0-9]+|Lifo|Fifo)")]
    private static partial Regex NaturalParts();

    /// <summary>Sort key: numbers by value (Size=64 before Size=1024), Lifo before Fifo as BenchmarkDotNet lists them.</summary>
    internal static List<(int Kind, BigInteger Number, string Text)> Natural(string text) =>
        NaturalParts().Split(text).Where(t => t.Length > 0)
            .Select(t => t.All(char.IsAsciiDigit) ? (0, BigInteger.Parse(t, CultureInfo.InvariantCulture), "")
                : (1, BigInteger.Zero, t switch { "Lifo" => "0", "Fifo" => "1", _ => t }))
            .ToList();

    /// <summary>Compares <see cref="Natural"/> keys part by part (a key that is a prefix of another comes first).</summary>
    private sealed class NaturalComparer : IComparer<List<(int Kind, BigInteger Number, string Text)>>
    {
        public static readonly NaturalComparer Instance = new();

        public int Compare(List<(int Kind, BigInteger Number, string Text)>? x, List<(int Kind, BigInteger Number, string Text)>? y)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(y);
            for (int i = 0; i < Math.Min(x.Count, y.Count); i++)
            {
                int c = x[i].Kind.CompareTo(y[i].Kind);
                if (c == 0) c = x[i].Number.CompareTo(y[i].Number);
                if (c == 0) c = string.CompareOrdinal(x[i].Text, y[i].Text);
                if (c != 0) return c;
            }
            return x.Count.CompareTo(y.Count);
        }
    }
}
