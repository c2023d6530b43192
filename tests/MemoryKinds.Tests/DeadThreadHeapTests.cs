using MemoryKinds.Tests.Reliability;

namespace MemoryKinds.Tests;

/// <summary>
/// A thread that exits leaves its heap (pages, cached blocks) to the next thread that attaches to the kind as soon as
/// the C library's exit hook has run, without waiting for the GC to finalize the thread's sentinel, which a program
/// that allocates only off-heap may not do for a long time.
/// </summary>
public class DeadThreadHeapTests
{
    /// <summary>In a process of its own (see the scenario): this test host's other tests would trigger GCs.</summary>
    [Fact]
    public void ANewThreadTakesOverADeadThreadsHeapWithoutAGcAndTheFinalizerLeavesItAlone()
        => FaultHost.RunAndAssertPass("dead-thread-takeover", TestDirectories.Tmpfs);
}
