using System.Diagnostics;
using MemoryKinds.Cli;

namespace MemoryKinds.Cli.Tests;

public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("memkinds-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = MemoryKinds.Cli.Cli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void RootHelpListsEveryCommand(string help)
    {
        var (code, output, _) = Run(help);
        Assert.Equal(0, code);
        foreach (string command in new[] { "check-dax", "info", "stress", "bench", "Exit codes" }) Assert.Contains(command, output);
    }

    [Theory]
    [InlineData("check-dax")]
    [InlineData("info")]
    [InlineData("stress")]
    [InlineData("bench")]
    public void EveryCommandHasHelp(string command)
    {
        var (code, output, _) = Run(command, "--help");
        Assert.Equal(0, code);
        Assert.Contains("Usage:", output);
        Assert.Contains(command, output);
    }

    [Theory]
    [InlineData]
    [InlineData("frobnicate")]
    [InlineData("check-dax")]
    [InlineData("check-dax", "/tmp", "extra")]
    [InlineData("info", "/tmp", "--max-size", "lots")]
    [InlineData("info", "/tmp", "--max-size", "1M")]
    [InlineData("stress")]
    [InlineData("stress", "/tmp", "--threads", "0")]
    [InlineData("stress", "/tmp", "--threads", "many")]
    [InlineData("stress", "/tmp", "--seconds", "-1")]
    [InlineData("stress", "/tmp", "--max-size", "1M")]
    [InlineData("stress", "/tmp", "--max-block", "2X")]
    [InlineData("stress", "/tmp", "--policy", "Lazy")]
    [InlineData("bench", "--fast")]
    public void BadArgumentsExitWith2(params string[] args)
    {
        var (code, _, error) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains("error:", error);
        Assert.Contains("--help", error);
    }

    [Theory]
    [InlineData("check-dax")]
    [InlineData("info")]
    [InlineData("stress")]
    public void MissingDirectoryExitsWith3(string command)
    {
        string missing = Path.Combine(_dir, "missing");
        var (code, _, error) = Run(command, missing);
        Assert.Equal(3, code);
        Assert.Contains("does not exist", error);
        Assert.Contains(missing, error);
    }

    [Fact]
    public void FileInsteadOfDirectoryExitsWith3()
    {
        string file = Path.Combine(_dir, "file");
        File.WriteAllText(file, "x");
        var (code, _, error) = Run("check-dax", file);
        Assert.Equal(3, code);
        Assert.Contains("not a directory", error);
    }

    [Fact]
    public void DirectoryWithoutFilesExitsWith3()
    {
        // No file can be created in /proc, whoever runs the test.
        var (code, _, error) = Run("check-dax", "/proc");
        Assert.Equal(3, code);
        Assert.Contains("/proc", error);
        (code, _, error) = Run("info", "/proc");
        Assert.Equal(3, code);
    }

    [Fact]
    public void CheckDaxOnTempDirectory()
    {
        var (code, output, error) = Run("check-dax", _dir);
        Assert.True(code == 0, error);
        Assert.Contains("DAX", output);
        Assert.Contains("fallocate", output);
        Assert.Contains("Hole punching", output);
        Assert.Matches(@"dax=(yes|no) fs=\S+ fallocate=(yes|no) punch=(yes|no) available=\d+", output);
        Assert.Equal(PmemKind.IsDax(_dir), output.Contains("dax=yes", StringComparison.Ordinal));
    }

    [Fact]
    public void CheckDaxOnTmpfs()
    {
        if (!Directory.Exists("/dev/shm")) return;
        var (code, output, _) = Run("check-dax", "/dev/shm");
        Assert.Equal(0, code);
        Assert.Contains("dax=no fs=tmpfs fallocate=yes punch=yes", output);
    }

    [Fact]
    public void InfoShowsLimitsAndRounding()
    {
        var (code, output, error) = Run("info", _dir);
        Assert.True(code == 0, error);
        Assert.Contains("min_size=16777216 chunk_size=2097152", output);
        Assert.Contains($"page_size={Environment.SystemPageSize}", output);
        Assert.Contains("max_size=0", output);
        Assert.Contains("Conservative", output);

        (code, output, _) = Run("info", _dir, "--max-size", "17M");
        Assert.Equal(0, code);
        Assert.Contains("max_size=18874368 capacity=18874368", output);
    }

    [Fact]
    public void StressPassesAndReports()
    {
        var (code, output, error) = Run("stress", _dir, "--threads", "2", "--seconds", "1", "--max-size", "32M", "--seed", "42");
        Assert.True(code == 0, output + error);
        Assert.Contains("seed 42", output);
        Assert.Matches(@"ops=[1-9]\d* ops_per_sec=\d+ errors=0 validate=ok", output);
        Assert.Contains("Frees (cross-thread)", output);
        Assert.Contains("PASSED", output);
        Assert.Contains("s] ", output); // progress lines
    }

    [Fact]
    public void StressConservativeHardenedJson()
    {
        var (code, output, error) = Run("stress", _dir, "-t", "3", "-s", "0.5", "--policy", "Conservative", "--hardened", "--max-block", "64K", "--json");
        Assert.True(code == 0, output + error);
        Assert.Contains("\"policy\": \"Conservative\"", output);
        Assert.Contains("\"hardened\": true", output);
    }

    [Fact]
    public void BenchDryRunFindsTheCheckout()
    {
        string? root = Bench.FindCheckout(AppContext.BaseDirectory);
        Assert.NotNull(root);
        var (code, output, error) = Run("bench", "--quick", "--dry-run", "--repo", root!);
        Assert.True(code == 0, error);
        Assert.Contains("Would run:", output);
        Assert.Contains("bench", output);
    }

    [Fact]
    public void BenchOutsideACheckoutFails()
    {
        var (code, _, error) = Run("bench", "--repo", _dir);
        Assert.Equal(1, code);
        Assert.Contains("no benchmark suite", error);
        (code, _, error) = Run("bench", "--repo", Path.Combine(_dir, "missing"));
        Assert.Equal(3, code);
    }

    [Theory]
    [InlineData("4096", 4096L)]
    [InlineData("64M", 64L << 20)]
    [InlineData("64MiB", 64L << 20)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("2k", 2048L)]
    [InlineData("0", 0L)]
    public void SizesParse(string text, long expected)
    {
        Assert.True(Sizes.TryParse(text, out long bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("M")]
    [InlineData("12Q")]
    [InlineData("-5")]
    [InlineData("0.5")]
    public void SizesReject(string text) => Assert.False(Sizes.TryParse(text, out _));

    [Fact]
    public void RunsAsAChildProcess()
    {
        string tool = Path.Combine(AppContext.BaseDirectory, "memkinds.dll");
        Assert.True(File.Exists(tool), tool);
        (int code, string output, _) = Child(tool, "check-dax", _dir);
        Assert.Equal(0, code);
        Assert.Contains("fallocate=", output);
        (code, _, string error) = Child(tool, "stress", _dir, "--threads", "-3");
        Assert.Equal(2, code);
        Assert.Contains("--threads", error);
        (code, _, _) = Child(tool, "info", Path.Combine(_dir, "missing"));
        Assert.Equal(3, code);
    }

    private static (int Code, string Out, string Err) Child(string tool, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(tool);
        foreach (string a in args) start.ArgumentList.Add(a);
        using Process p = Process.Start(start)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(), stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "the tool did not exit within 60 s");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
