using MemoryKinds.Reliability;

namespace MemoryKinds.Tests;

/// <summary>Usage policies: when the storage of freed memory goes back to the file system.</summary>
public unsafe class PolicyTests
{
    private const long MiB = 1L << 20;

    /// <summary>Allocates about <paramref name="bytes"/> in blocks of <paramref name="sizes"/> (cycled), writing each.</summary>
    private static List<nuint> AllocateMixed(MemoryKind kind, long bytes, params nuint[] sizes)
    {
        var blocks = new List<nuint>();
        long total = 0;
        for (int i = 0; total < bytes; i++)
        {
            nuint size = sizes[i % sizes.Length];
            byte* p = (byte*)kind.Alloc(size);
            BlockChecks.Fill(p, size, 0xC3);
            blocks.Add((nuint)p);
            total += (long)size;
        }
        return blocks;
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void ConservativeGivesStorageBackBeforeFreeReturns(string fileSystem)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, 64 * MiB, MemoryUsagePolicy.Conservative);
        foreach (nuint[] sizes in new[] { new nuint[] { 64 }, new nuint[] { 16, 100, 1000, 4096, 20_000 } })
        {
            List<nuint> blocks = AllocateMixed(kind, 12 * MiB, sizes);
            long storageFull = kind.Source.StorageBytes;
            KindStats statsFull = kind.GetStats();
            Assert.True(storageFull >= 12 * MiB, $"12 MiB of live blocks but the file holds only {storageFull} bytes.");

            // Free in an order that empties pages only near the end: every other block first.
            var order = new List<nuint>();
            for (int i = 0; i < blocks.Count; i += 2) order.Add(blocks[i]);
            for (int i = 1; i < blocks.Count; i += 2) order.Add(blocks[i]);
            for (int i = 0; i < order.Count - 1; i++) kind.Free((void*)order[i]);
            long storageBeforeLast = kind.Source.StorageBytes;
            kind.Free((void*)order[^1]);
            long storageAfterLast = kind.Source.StorageBytes;
            KindStats statsAfter = kind.GetStats();

            Assert.True(storageAfterLast < storageBeforeLast, $"The last Free emptied a page but the file's storage did not drop before Free returned ({storageBeforeLast} -> {storageAfterLast} bytes).");
            Assert.True(storageAfterLast <= storageFull / 20, $"After freeing every block the file still holds {storageAfterLast} bytes ({storageFull} when full).");
            Assert.True(statsAfter.Resident <= statsFull.Resident / 20, $"After freeing every block Resident is {statsAfter.Resident} ({statsFull.Resident} when full).");
            Assert.Equal(0, statsAfter.Allocated);
        }
    }

    /// <summary>
    /// Fill to the first failure with one size, free all, again and again: the file must be empty after every round,
    /// not only the first. On ext4 with readahead on, writes into live pages took delayed-allocation reservations for
    /// punched neighbours in the same large folio, and an 82 MiB kind kept 54 MiB after each free-all but the first.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void ConservativeFileIsEmptyAfterEveryFillAndFreeAll(string fileSystem)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, 82 * MiB, MemoryUsagePolicy.Conservative);
        var blocks = new List<nuint>(300_000);
        for (int round = 0; round < 2; round++)
        {
            for (void* p; (p = kind.TryAlloc(300)) != null;) blocks.Add((nuint)p);
            Assert.True(blocks.Count * 300L >= 70 * MiB, $"Round {round}: only {blocks.Count} blocks of 300 B fit in 82 MiB.");
            foreach (nuint p in blocks) kind.Free((void*)p);
            blocks.Clear();
            long storage = kind.Source.StorageBytes;
            Assert.True(storage <= MiB, $"Round {round}: after freeing every block the file still holds {storage} bytes (Resident {kind.GetStats().Resident}).");
        }
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void ConservativeGivesLargeBlockStorageBackAtOnce(string fileSystem)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, 64 * MiB, MemoryUsagePolicy.Conservative);
        byte* p = (byte*)kind.Alloc((nuint)(8 * MiB));
        BlockChecks.Fill(p, (nuint)(8 * MiB), 1);
        long full = kind.Source.StorageBytes;
        Assert.True(full >= 8 * MiB);
        kind.Free(p);
        long after = kind.Source.StorageBytes;
        Assert.True(after <= full / 20, $"Freeing an 8 MiB block of a conservative kind left {after} bytes of storage ({full} before).");
        Assert.True(kind.GetStats().Resident <= full / 20, $"Resident is {kind.GetStats().Resident} after freeing the only block.");
    }

    /// <summary>
    /// Default policy: with the program making no further call on the kind, the storage of freed memory goes back within
    /// 10 s (polled for up to 12 s). Both file systems at once, so the test waits only once.
    /// </summary>
    [Fact]
    public void DefaultGivesStorageBackWithinTenSecondsWithoutFurtherCalls()
    {
        using PmemKind ext4 = BlockChecks.Create("ext4", 64 * MiB);
        using PmemKind tmpfs = BlockChecks.Create("tmpfs", 64 * MiB);
        var kinds = new[] { ext4, tmpfs };
        var full = new long[2];
        for (int k = 0; k < 2; k++)
        {
            List<nuint> blocks = AllocateMixed(kinds[k], 12 * MiB, 64, 4096, 300, 40_000, 700_000);
            full[k] = kinds[k].Source.StorageBytes;
            Assert.True(full[k] >= 12 * MiB, $"12 MiB of live blocks but the file holds only {full[k]} bytes.");
            foreach (nuint p in blocks) kinds[k].Free((void*)p);
        }

        // No call on the kinds from here on: only fstat of their files.
        var after = new long[2];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            for (int k = 0; k < 2; k++) after[k] = kinds[k].Source.StorageBytes;
            if ((after[0] <= full[0] / 20 && after[1] <= full[1] / 20) || clock.Elapsed > TimeSpan.FromSeconds(12)) break;
            Thread.Sleep(200);
        }
        for (int k = 0; k < 2; k++)
        {
            Assert.True(after[k] <= full[k] / 20, $"{kinds[k].Directory}: 12 s after every block was freed the file still holds {after[k]} bytes ({full[k]} when full).");
            KindStats stats = kinds[k].GetStats();
            Assert.True(stats.Resident <= full[k] / 20, $"{kinds[k].Directory}: Resident is {stats.Resident} after the storage went back.");
            Assert.Equal(0, stats.Allocated);
        }
    }
}

/// <summary>Dispose gives back all file-system space, live blocks included. Alone, on a private tmpfs, so the count is exact.</summary>
[Collection(ProcessResourcesCollection.Name)]
public unsafe class DisposeReleasesSpaceTests
{
    [Theory]
    [InlineData(MemoryUsagePolicy.Default)]
    [InlineData(MemoryUsagePolicy.Conservative)]
    public void DisposeReleasesEverythingIncludingLiveBlocks(MemoryUsagePolicy policy)
    {
        using ProcessResources.PrivateMount mount = ProcessResources.MountTmpfs("size=64m");
        (_, long availableBefore) = ProcessResources.FileSystemSpace(mount.Path);
        ProcessResources.Snapshot resources = ProcessResources.Take(mount.Path);

        var kind = PmemKind.Create(new PmemConfig(mount.Path) { Size = 32L << 20, UsagePolicy = policy });
        var blocks = new List<nuint>();
        for (int i = 0; i < 2000; i++)
        {
            nuint size = (nuint)(i % 3 == 0 ? 4096 : 100);
            void* p = kind.Alloc(size);
            BlockChecks.Fill(p, size, 0x7E);
            blocks.Add((nuint)p);
        }
        void* large = kind.Alloc(8u << 20);
        BlockChecks.Fill(large, 8u << 20, 0x7E);
        // Some blocks freed, some freed from another thread, the rest stay live.
        for (int i = 0; i < blocks.Count; i += 4) kind.Free((void*)blocks[i]);
        ThreadRunner.Run(() => { for (int i = 1; i < blocks.Count; i += 4) kind.Free((void*)blocks[i]); });

        (_, long availableFull) = ProcessResources.FileSystemSpace(mount.Path);
        Assert.True(availableBefore - availableFull >= 8L << 20, $"With 8+ MiB of live blocks the file system's free space only fell from {availableBefore} to {availableFull}.");
        Assert.True(ProcessResources.MapsMentioning(mount.Path) > 0, "No mapping of the kind's file shows in /proc/self/maps.");

        kind.Dispose();
        (_, long availableAfter) = ProcessResources.FileSystemSpace(mount.Path);
        Assert.True(availableAfter == availableBefore, $"After Dispose the file system has {availableAfter} bytes free; {availableBefore} before the kind was created ({policy}).");
        resources.AssertUnchanged($"After Dispose ({policy})");
        Assert.Empty(Directory.GetFileSystemEntries(mount.Path));
    }
}
