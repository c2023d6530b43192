using MemoryKinds.Reliability;
using Xunit.Abstractions;

namespace MemoryKinds.Tests.Reliability;

/// <summary>
/// The short (CI) variant of the randomized stress run (<see cref="StressRun"/>, mimalloc test-stress style) on ext4 and
/// tmpfs with both policies: fixed seeds, 4 threads, 4 rounds of fresh threads, Validate after each round. The long
/// variant (minutes per configuration) is not an xunit test: run tests/MemoryKinds.FaultHost/long-stress.sh with
/// MEMKINDS_LONG_STRESS=1; without it the script and the fault host's long-stress scenario refuse and exit non-zero.
/// </summary>
public class StressTests(ITestOutputHelper output)
{
    public static TheoryData<string, MemoryUsagePolicy, int> Configurations => new()
    {
        { "ext4", MemoryUsagePolicy.Default, 11 }, { "ext4", MemoryUsagePolicy.Conservative, 12 },
        { "tmpfs", MemoryUsagePolicy.Default, 13 }, { "tmpfs", MemoryUsagePolicy.Conservative, 14 },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void ShortStressFindsNoCorruptionAndTheHeapValidatesAfterEveryRound(string fs, MemoryUsagePolicy policy, int seed)
    {
        var options = new StressOptions
        {
            Threads = 4,
            Rounds = 4,
            // The Conservative policy takes the kind's lock and punches a hole for every emptied page: fewer iterations.
            IterationsPerRound = policy == MemoryUsagePolicy.Conservative ? 2_500 : 10_000,
            Seed = seed,
            Log = output.WriteLine,
        };
        StressResult result = StressRun.RunOnPmem(TestDirectories.Get(fs), policy, options);
        output.WriteLine(result.ToString());
        Assert.True(result.Passed, $"Stress on {fs} ({policy}, seed {seed}): {result}");
        Assert.True(result.CrossThreadFrees > 0, "No block changed threads: the run did not exercise cross-thread frees.");
        Assert.True(result.RetiredHolding > 0 || options.Rounds < 3, "No thread retired while holding blocks.");
    }

    /// <summary>The long variant must not pass silently when it was not run: without MEMKINDS_LONG_STRESS=1 it refuses with exit code 3.</summary>
    [Fact]
    public void TheLongStressRunRefusesToRunWithoutItsEnvironmentVariable()
    {
        (int code, string text) = FaultHost.Run("long-stress", ["0.01"], environment: new Dictionary<string, string> { ["MEMKINDS_LONG_STRESS"] = "" });
        Assert.True(code == 3 && text.Contains("NOT RUN"), $"long-stress without MEMKINDS_LONG_STRESS=1 should refuse (exit 3), got {FaultHost.Describe(code)}:\n{text}");
    }
}
