using System.Diagnostics;
using Spectre.Console;

namespace MemoryKinds.Cli;

/// <summary>The bench command: runs the benchmark suite of a MemoryKinds source checkout.</summary>
internal static class Bench
{
    public static int Run(IAnsiConsole console, TextWriter error, bool quick, string? repo, bool dryRun)
    {
        string? root = repo is not null ? Path.GetFullPath(repo) : FindCheckout(Environment.CurrentDirectory) ?? FindCheckout(AppContext.BaseDirectory);
        if (repo is not null && !Directory.Exists(root)) throw new BadDirectoryException($"Directory '{root}' does not exist.");
        (string file, string[] args)? command = root is null ? null : CommandFor(root, quick);
        if (command is null)
        {
            error.WriteLine(repo is not null
                ? $"error: '{root}' has no benchmark suite (bench/run.sh or bench/MemoryKinds.Benchmarks)."
                : "error: the benchmarks are only available from a source checkout of MemoryKinds: run 'memkinds bench' inside one, or pass --repo <checkout>.");
            return ExitCodes.Failure;
        }
        (string file, string[] arguments) = command.Value;
        console.WriteLine($"{(dryRun ? "Would run" : "Running")}: {file} {string.Join(' ', arguments)} (in {root})");
        if (dryRun) return ExitCodes.Ok;
        var start = new ProcessStartInfo(file) { WorkingDirectory = root, UseShellExecute = false };
        foreach (string a in arguments) start.ArgumentList.Add(a);
        using Process? process = Process.Start(start);
        if (process is null)
        {
            error.WriteLine($"error: cannot start {file}.");
            return ExitCodes.Failure;
        }
        process.WaitForExit();
        if (process.ExitCode != 0) error.WriteLine($"error: the benchmark run failed with exit code {process.ExitCode}.");
        return process.ExitCode == 0 ? ExitCodes.Ok : ExitCodes.Failure;
    }

    /// <summary>The nearest directory at or above <paramref name="start"/> with a bench/ suite.</summary>
    internal static string? FindCheckout(string start)
    {
        for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
            if (CommandFor(d.FullName, quick: false) is not null) return d.FullName;
        return null;
    }

    private static (string File, string[] Args)? CommandFor(string root, bool quick)
    {
        string bench = Path.Combine(root, "bench");
        if (File.Exists(Path.Combine(bench, "run.sh")))
            return ("bash", quick ? ["bench/run.sh", "--quick"] : ["bench/run.sh"]);
        if (File.Exists(Path.Combine(bench, "run-micro.sh")))
            return ("bash", quick ? ["bench/run-micro.sh", "--smoke", "--filter", "*"] : ["bench/run-micro.sh"]);
        string project = Path.Combine(bench, "MemoryKinds.Benchmarks", "MemoryKinds.Benchmarks.csproj");
        if (File.Exists(project))
            return ("dotnet", quick
                ? ["run", "-c", "Release", "--project", project, "--", "--smoke", "--filter", "*"]
                : ["run", "-c", "Release", "--project", project, "--", "--filter", "*"]);
        return null;
    }
}
