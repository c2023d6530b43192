namespace MemoryKinds.Tests.Reliability;

/// <summary>
/// Running out of file-system space, for real: a private small tmpfs (16 MiB) filled by the kind and by another
/// process, punched ranges reused on a full file system, a small ext4 image, file systems without fallocate (ramfs,
/// ext2) and RLIMIT_FSIZE. Each scenario runs in the fault host (a child process), so a SIGBUS or SIGXFSZ shows up as
/// that process's death (a failed test) instead of killing the test run. After the child has exited, the file system
/// must have all its space back.
/// </summary>
public class SpaceTests
{
    public static TheoryData<MemoryUsagePolicy> Policies => new() { MemoryUsagePolicy.Default, MemoryUsagePolicy.Conservative };

    private static void RunOnMount(Mount mount, string scenario, params string[] arguments)
    {
        long before = FsSpace.Available(mount.Path);
        string output = FaultHost.RunAndAssertPass(scenario, [mount.Path, .. arguments]);
        Assert.True(Directory.GetFileSystemEntries(mount.Path).Where(e => !e.EndsWith("lost+found")).ToArray() is { Length: 0 } left,
            $"The scenario left files in {mount.Path}: {string.Join(", ", Directory.GetFileSystemEntries(mount.Path))}");
        long after = FsSpace.Available(mount.Path);
        Assert.True(after == before, $"After the fault host exited, {mount.Path} has {after} bytes available, {before} before: space was not given back.\n{output}");
    }

    /// <summary>
    /// One kind fills a 16 MiB tmpfs with 256 KiB and 100-byte blocks: the next Alloc throws OutOfMemoryException naming
    /// ENOSPC, every block keeps its contents, Validate passes, a freed block's space serves the next allocation, half the
    /// blocks freed can all be allocated again, after freeing everything one block of half the file system fits, and
    /// Dispose returns every byte.
    /// </summary>
    [Theory]
    [MemberData(nameof(Policies))]
    public void FillingASmallTmpfsFailsCleanlyAndFreedSpaceIsReusable(MemoryUsagePolicy policy)
    {
        using Mount mount = Mount.Tmpfs("size=16m");
        RunOnMount(mount, "fill", policy.ToString());
    }

    /// <summary>
    /// dd fills the file system while the kind allocates and writes every byte it gets: each allocation fails cleanly
    /// or is fully writable (no SIGBUS); once full, all held blocks are rewritten, new ones fail cleanly, freed ones
    /// are reused; after the filler is deleted allocation works again.
    /// </summary>
    [Theory]
    [MemberData(nameof(Policies))]
    public void AnotherProcessFillingTheFileSystemMeanwhileGivesCleanFailures(MemoryUsagePolicy policy)
    {
        using Mount mount = Mount.Tmpfs("size=16m");
        RunOnMount(mount, "fill-race", policy.ToString());
    }

    /// <summary>
    /// Freed ranges are hole-punched (Conservative: at once; Default: by the purger after ~3 s, waited for by polling
    /// the file's st_blocks), dd fills the file system, then the kind allocates into the punched ranges again: clean
    /// OutOfMemoryException, never SIGBUS; with 2 MiB left, one or two 1 MiB blocks are re-reserved and then a clean failure.
    /// </summary>
    [Theory]
    [MemberData(nameof(Policies))]
    public void APunchedRangeReusedWhenTheFileSystemIsFullIsReservedAgainOrFailsCleanly(MemoryUsagePolicy policy)
    {
        using Mount mount = Mount.Tmpfs("size=16m");
        RunOnMount(mount, "punch-reuse", policy.ToString());
    }

    /// <summary>
    /// On ext4 a failed fallocate keeps what it managed to allocate (measured: 13.7 MB of a 16 MiB image held until
    /// the descriptor closes). A request twice the free space must fail and leave the file system's space as it was.
    /// </summary>
    [Fact]
    public void AFailedGrowOnASmallExt4LeavesNoPartialAllocation()
    {
        using Mount mount = Mount.Ext4Image(16);
        RunOnMount(mount, "ext4-partial");
    }

    /// <summary>
    /// ramfs has neither fallocate nor hole punching; ext2 (an ext2-format image) has hole punching but no fallocate.
    /// memkind aborts the process at the first free on ramfs. The kind must keep working: blocks of 100 B … 2 MiB
    /// allocated, written and verified, freed, three rounds (the Default policy's purger gets its chance in between).
    /// </summary>
    [Theory]
    [InlineData("ramfs", MemoryUsagePolicy.Default)]
    [InlineData("ramfs", MemoryUsagePolicy.Conservative)]
    [InlineData("ext2", MemoryUsagePolicy.Default)]
    [InlineData("ext2", MemoryUsagePolicy.Conservative)]
    public void AFileSystemWithoutFallocateKeepsWorkingWithIntactData(string fileSystem, MemoryUsagePolicy policy)
    {
        using Mount mount = fileSystem == "ramfs" ? Mount.Ramfs() : Mount.Ext2Image(64);
        FaultHost.RunAndAssertPass("no-fallocate", mount.Path, policy.ToString());
        Assert.DoesNotContain(Directory.GetFileSystemEntries(mount.Path), e => !e.EndsWith("lost+found"));
    }

    /// <summary>
    /// `ulimit -f 8192` (8 MiB) in front of the fault host: allocating past it must be an OutOfMemoryException naming
    /// EFBIG, for 1 MiB blocks, one block 4x the limit, small blocks, and a size-limited kind; the process must not die
    /// by SIGXFSZ (exit code 153), and the heap must stay usable.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void RLimitFsizeSmallerThanTheHeapIsACleanOutOfMemoryNotSigxfsz(string fs)
    {
        (int code, string output) = FaultHost.Run("rlimit", [TestDirectories.Get(fs)], wrapper: ["bash", "-c", "ulimit -f 8192 && exec \"$0\" \"$@\""]);
        FaultHost.AssertPassed("rlimit", (code, output));
        Assert.Contains("RLIMIT_FSIZE 8388608", output);
    }
}
