namespace MemoryKinds.Tests.Reliability;

/// <summary>
/// The process holding a kind dies by kill -9 (also after starting a child of its own, and with the mkostemp fallback):
/// the file system gets all the space back. A natively forked child cannot write into the parent's heap (MADV_DONTFORK).
/// </summary>
public class ProcessFaultTests
{
    private const long MiB = 1L << 20;

    private static void KillHolder(string[] options, Action<Mount, FaultHost>? whileHolding = null)
    {
        using Mount mount = Mount.Tmpfs("size=64m");
        long before = FsSpace.Available(mount.Path);
        using (FaultHost host = FaultHost.Start("hold", [mount.Path, (48 * MiB).ToString(), .. options]))
        {
            host.WaitForLine("READY");
            long holding = FsSpace.Available(mount.Path);
            Assert.True(holding <= before - 48 * MiB, $"The holder should use 48 MiB of {mount.Path}: available {before} before, {holding} now.\n{host.Output}");
            string names = host.WaitForLine("NAMES");
            Assert.True(names.Trim() == "NAMES", $"The kind's file has a name in the directory: {names}");
            whileHolding?.Invoke(mount, host);
            host.KillHard();
        }
        long after = FsSpace.Available(mount.Path);
        Assert.True(after == before, $"After kill -9 of the holder, {mount.Path} has {after} bytes available; {before} before it started: the space was not given back.");
        Assert.Empty(Directory.GetFileSystemEntries(mount.Path));
    }

    [Fact]
    public void KillMinus9OfAProcessHoldingALargeKindGivesTheSpaceBack() => KillHolder([]);

    /// <summary>The holder started `sleep 60` (fork + exec) before being killed: the kind's descriptor is close-on-exec, so the sleeping grandchild does not keep the file alive.</summary>
    [Fact]
    public void KillMinus9GivesTheSpaceBackEvenWhenTheProcessHadStartedAChild()
    {
        int grandchild = 0;
        try
        {
            KillHolder(["--spawn"], (mount, host) =>
            {
                grandchild = int.Parse(host.WaitForLine("GRANDCHILD").Split(' ')[1]);
                foreach (string fd in Directory.GetFileSystemEntries($"/proc/{grandchild}/fd"))
                {
                    string target = new FileInfo(fd).LinkTarget ?? "";
                    Assert.False(target.StartsWith(mount.Path, StringComparison.Ordinal), $"The grandchild inherited descriptor {fd} -> {target}: not close-on-exec.");
                }
            });
            Assert.True(Directory.Exists($"/proc/{grandchild}"), "The grandchild is gone, so the test did not show that it cannot keep the space.");
        }
        finally
        {
            if (grandchild > 0)
            {
                try
                {
                    using var process = System.Diagnostics.Process.GetProcessById(grandchild);
                    process.Kill();
                    process.WaitForExit();
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
        }
    }

    /// <summary>Without O_TMPFILE (forced through the seam), the mkostemp file is unlinked at once: no name is visible while it lives, and kill -9 leaves no file and no used space.</summary>
    [Fact]
    public void KillMinus9WithTheMkostempFallbackLeavesNoFileAndGivesTheSpaceBack() => KillHolder(["--no-tmpfile"]);

    /// <summary>
    /// The fault host forks natively (fork() by P/Invoke); the child writes one byte into a small and into a large block
    /// of the parent's kind and _exits. The heap is MADV_DONTFORK, so the child must die by SIGSEGV and the parent's
    /// blocks, heap metadata (Validate) and allocations must be unaffected. (libvmem and memkind: the parent reads the
    /// child's writes.)
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void AForkedChildCannotWriteIntoTheParentsHeap(string fs)
    {
        string output = FaultHost.RunAndAssertPass("fork", TestDirectories.Get(fs));
        Assert.Contains("CHILD small block: signal 11", output);
        Assert.Contains("CHILD large block: signal 11", output);
    }

    /// <summary>Control for the fork test: the same child write into a MAP_SHARED anonymous page is seen by the parent, so the harness would notice a shared heap.</summary>
    [Fact]
    public void TheForkHarnessSeesWritesIntoASharedMapping()
        => Assert.Contains("CONTROL the harness sees", FaultHost.RunAndAssertPass("fork-control"));
}
