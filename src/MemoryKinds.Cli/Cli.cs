using System.CommandLine;
using System.CommandLine.Help;
using Spectre.Console;

namespace MemoryKinds.Cli;

/// <summary>Builds and runs the <c>memkinds</c> commands. Exit codes: see <see cref="ExitCodes"/>.</summary>
internal static class Cli
{
    private const string ExitCodeHelp = "Exit codes: 0 success, 1 failure, 2 bad arguments, 3 bad directory.";

    /// <summary>Runs the tool with <paramref name="args"/>, writing to <paramref name="output"/> and <paramref name="error"/>.</summary>
    /// <param name="interactive">Whether the output is a terminal (live progress); otherwise progress is printed as lines.</param>
    public static int Run(string[] args, TextWriter output, TextWriter error, bool interactive = false)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!interactive) console.Profile.Width = 120;
        RootCommand root = Build(console, error);
        ParseResult parse = root.Parse(args);
        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            foreach (var e in parse.Errors) error.WriteLine($"error: {e.Message}");
            string command = parse.CommandResult.Command is RootCommand ? "memkinds" : $"memkinds {parse.CommandResult.Command.Name}";
            error.WriteLine($"Run '{command} --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return parse.Invoke(config);
        }
        catch (UsageException e)
        {
            error.WriteLine($"error: {e.Message}");
            error.WriteLine($"Run 'memkinds {parse.CommandResult.Command.Name} --help' for usage.");
            return ExitCodes.Usage;
        }
        catch (BadDirectoryException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadDirectory;
        }
    }

    private static RootCommand Build(IAnsiConsole console, TextWriter error)
    {
        var root = new RootCommand($"memkinds: inspect directories for MemoryKinds pmem kinds, stress a kind, run the benchmarks. {ExitCodeHelp}");

        var checkDir = new Argument<string>("dir") { Description = "The directory to check." };
        var checkDax = new Command("check-dax", $"Tell whether a directory is on DAX, its file system, fallocate and hole-punch support, and free space. {ExitCodeHelp}") { checkDir };
        checkDax.SetAction(p => Commands.CheckDax(console, p.GetRequiredValue(checkDir)));
        root.Subcommands.Add(checkDax);

        var infoDir = new Argument<string>("dir") { Description = "The directory a pmem kind would use." };
        var infoMax = new Option<string?>("--max-size") { Description = "A size limit to show the rounding of (e.g. 100M); 0 for unlimited." };
        var info = new Command("info", $"Show what a pmem kind in a directory would get: limits, MinSize/ChunkSize, page size, DAX, capacity, policies. {ExitCodeHelp}") { infoDir, infoMax };
        info.SetAction(p => Commands.Info(console, p.GetRequiredValue(infoDir), ParseSize(p.GetValue(infoMax), "--max-size", 0)));
        root.Subcommands.Add(info);

        var stressDir = new Argument<string>("dir") { Description = "The directory for the kind's file." };
        var threads = new Option<int>("--threads", "-t") { Description = "Worker threads.", DefaultValueFactory = _ => Math.Clamp(Environment.ProcessorCount, 2, 8) };
        var seconds = new Option<double>("--seconds", "-s") { Description = "How long to run.", DefaultValueFactory = _ => 5 };
        var maxSize = new Option<string>("--max-size", "-m") { Description = "The kind's size limit (e.g. 256M, 1G); 0 for unlimited.", DefaultValueFactory = _ => "256M" };
        var maxBlock = new Option<string>("--max-block") { Description = "The largest block the workload allocates (e.g. 2M).", DefaultValueFactory = _ => "2M" };
        var policy = new Option<MemoryUsagePolicy>("--policy") { Description = "The kind's memory usage policy.", DefaultValueFactory = _ => MemoryUsagePolicy.Default };
        var hardened = new Option<bool>("--hardened") { Description = "Turn on hardened mode for the kind (canaries, junk fill, quarantine)." };
        var seed = new Option<int?>("--seed") { Description = "Random seed (default: random)." };
        var json = new Option<bool>("--json") { Description = "Print the final kind stats as JSON too." };
        var stress = new Command("stress", $"Run a verifying stress workload on a pmem kind: blocks filled with a pattern checked at free, cross-thread frees, reallocs, Validate() at the end. {ExitCodeHelp}")
        {
            stressDir, threads, seconds, maxSize, maxBlock, policy, hardened, seed, json,
        };
        stress.SetAction(p =>
        {
            int t = p.GetValue(threads);
            double s = p.GetValue(seconds);
            if (t < 1 || t > 1024) throw new UsageException($"--threads must be between 1 and 1024 (got {t}).");
            if (!(s > 0) || s > 86400) throw new UsageException($"--seconds must be above 0 and at most 86400 (got {s}).");
            long limit = ParseSize(p.GetValue(maxSize), "--max-size", 256L << 20);
            if (limit != 0 && limit < PmemKind.MinSize) throw new UsageException($"--max-size must be 0 (unlimited) or at least {Sizes.Format(PmemKind.MinSize)} (got {Sizes.Format(limit)}).");
            long block = ParseSize(p.GetValue(maxBlock), "--max-block", 2L << 20);
            if (block < 16 || block > (1L << 30)) throw new UsageException($"--max-block must be between 16 bytes and 1 GiB (got {Sizes.Format(block)}).");
            var options = new StressOptions(p.GetRequiredValue(stressDir), t, TimeSpan.FromSeconds(s), limit, block, p.GetValue(policy), p.GetValue(hardened), p.GetValue(seed), p.GetValue(json));
            return Stress.Run(console, error, options);
        });
        root.Subcommands.Add(stress);

        var quick = new Option<bool>("--quick") { Description = "A short smoke run (each benchmark once) instead of the full suite." };
        var repo = new Option<string?>("--repo") { Description = "The MemoryKinds source checkout (default: found from the current directory or the tool's location)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the command that would run, and stop." };
        var bench = new Command("bench", $"Run the benchmark suite (bench/ in a source checkout of MemoryKinds); the report is written by the suite. {ExitCodeHelp}") { quick, repo, dryRun };
        bench.SetAction(p => Bench.Run(console, error, p.GetValue(quick), p.GetValue(repo), p.GetValue(dryRun)));
        root.Subcommands.Add(bench);
        return root;
    }

    private static long ParseSize(string? text, string option, long fallback)
    {
        if (text is null) return fallback;
        if (!Sizes.TryParse(text, out long bytes)) throw new UsageException($"{option}: '{text}' is not a size (use bytes or a K, M, G, T suffix, e.g. 256M).");
        return bytes;
    }
}

/// <summary>A bad argument found after parsing; the tool exits with 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
