using MemoryKinds.Reliability;

namespace MemoryKinds.Tests;

/// <summary>The size limit: never exceeded, and fully usable, also when other threads hold freed space cached.</summary>
public unsafe class MaxSizeTests
{
    private const long MiB = 1L << 20;

    /// <summary>Allocates blocks of <paramref name="size"/> until the kind refuses; returns them.</summary>
    private static List<nuint> Fill(MemoryKind kind, nuint size, Action? afterEach = null)
    {
        var blocks = new List<nuint>();
        while (true)
        {
            void* p = kind.TryAlloc(size);
            if (p == null) return blocks;
            blocks.Add((nuint)p);
            afterEach?.Invoke();
            if (blocks.Count > (int)(64 * MiB / (long)Math.Max(size, 16))) throw new InvalidOperationException($"The kind gave more than 64 MiB of {size}-byte blocks.");
        }
    }

    private static void FreeAll(MemoryKind kind, List<nuint> blocks)
    {
        foreach (nuint p in blocks) kind.Free((void*)p);
    }

    private static void AssertHolds(List<nuint> blocks, nuint size, long atLeast, string what) => AssertHolds(blocks.Count, size, atLeast, what);

    private static void AssertHolds(int count, nuint size, long atLeast, string what)
    {
        long bytes = count * (long)size;
        Assert.True(bytes >= atLeast, $"{what}: the kind held {count} blocks of {size} bytes = {bytes / (double)MiB:F2} MiB, less than {atLeast / (double)MiB:F2} MiB.");
    }

    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void StorageNeverExceedsMaxSize(string fileSystem, MemoryUsagePolicy policy)
    {
        const long FileSystemMetadataAllowance = 64 << 10;
        using PmemKind kind = BlockChecks.Create(fileSystem, policy: policy);
        long max = kind.MaxSize, peak = 0;
        void Check()
        {
            long storage = kind.Source.StorageBytes;
            Assert.True(storage >= 0, "StorageBytes could not be read.");
            peak = Math.Max(peak, storage);
            // st_blocks also counts the file system's own metadata for the file: ext4 adds a 4 KiB extent-tree block once
            // a file has more than 4 extents. The kind's data reservation (Resident, below) must stay within MaxSize exactly.
            Assert.True(storage <= max + FileSystemMetadataAllowance, $"The kind's file holds {storage} bytes of storage, more than MaxSize {max} plus {FileSystemMetadataAllowance} bytes of file-system metadata ({policy}).");
            KindStats stats = kind.GetStats();
            Assert.True(stats.Resident <= max, $"Resident {stats.Resident} exceeds MaxSize {max}.");
        }
        var all = new List<nuint>();
        // Mixed sizes, filled until the kind refuses each, with frees in between so freed pages are reused.
        foreach (nuint size in new nuint[] { 64, 4096, 100_000, 600_000, 3u << 20, 16, 2000 })
        {
            List<nuint> blocks = Fill(kind, size, Check);
            Check();
            for (int i = 0; i < blocks.Count; i += 2) kind.Free((void*)blocks[i]);
            for (int i = 1; i < blocks.Count; i += 2) all.Add(blocks[i]);
            Check();
        }
        Check();
        FreeAll(kind, all);
        Check();
        Assert.True(peak > max / 2, $"The kind's storage peaked at {peak} bytes: the test never came near the limit {max}.");
    }

    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void EmptyKindGivesOneBlockOfMaxSizeMinusTwoMiB(string fileSystem, MemoryUsagePolicy policy)
    {
        foreach (long limit in new[] { PmemKind.MinSize, PmemKind.MinSize + 1, 64 * MiB })
        {
            using PmemKind kind = BlockChecks.Create(fileSystem, limit, policy);
            nuint size = (nuint)(kind.MaxSize - 2 * MiB);
            byte* p = (byte*)kind.TryAlloc(size);
            Assert.True(p != null, $"An empty kind with MaxSize {kind.MaxSize} refused one block of {size} bytes ({policy}).");
            p[0] = 1;
            p[size / 2] = 2;
            p[size - 1] = 3;
            Assert.True(kind.GetUsableSize(p) >= size);
            Assert.True(kind.Source.StorageBytes <= kind.MaxSize);
            kind.Free(p);
            // And again after the free.
            p = (byte*)kind.TryAlloc(size);
            Assert.True(p != null, $"A kind with MaxSize {kind.MaxSize} refused a second block of {size} bytes after freeing the first ({policy}).");
            kind.Free(p);
            p = (byte*)kind.TryAllocZeroed(1, size);
            Assert.True(p != null, $"A kind with MaxSize {kind.MaxSize} refused AllocZeroed of {size} bytes ({policy}).");
            Assert.True(BlockChecks.AllAre(p, size, 0));
            kind.Free(p);
        }
    }

    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void SixteenMiBKindHoldsFifteenMiBOfPagesAndFourteenOfSmallBlocks(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, policy: policy);
        List<nuint> pages = Fill(kind, 4096);
        AssertHolds(pages, 4096, 15 * MiB, $"4 KiB blocks, fresh kind ({policy})");
        FreeAll(kind, pages);
        Assert.Equal(0, kind.GetStats().Allocated);

        List<nuint> small = Fill(kind, 64);
        AssertHolds(small, 64, 14 * MiB, $"64-byte blocks after 4 KiB blocks were freed ({policy})");
        FreeAll(kind, small);
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void FreedKindHoldsAsMuchAsWhenFresh(string fileSystem, MemoryUsagePolicy policy)
    {
        foreach (nuint size in new nuint[] { 64, 4096, 300_000 })
        {
            using PmemKind kind = BlockChecks.Create(fileSystem, policy: policy);
            List<nuint> fresh = Fill(kind, size);
            FreeAll(kind, fresh);
            {
                List<nuint> again = Fill(kind, size);
                Assert.True(again.Count == fresh.Count, $"After freeing everything the kind held {again.Count} blocks of {size} bytes; fresh it held {fresh.Count} ({policy}).");
                FreeAll(kind, again);
            }
        }
    }

    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void SmallBlocksFreedLeaveRoomForPages(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, policy: policy);
        List<nuint> small = Fill(kind, 64);
        AssertHolds(small, 64, 14 * MiB, $"64-byte blocks ({policy})");
        FreeAll(kind, small);
        List<nuint> pages = Fill(kind, 4096);
        AssertHolds(pages, 4096, 15 * MiB, $"4 KiB blocks after 64-byte blocks were freed ({policy})");
        FreeAll(kind, pages);
        List<nuint> large = Fill(kind, 1u << 20);
        AssertHolds(large, 1u << 20, 14 * MiB, $"1 MiB blocks after 4 KiB blocks were freed ({policy})");
        FreeAll(kind, large);
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    /// <summary>
    /// Thread A fills the kind and frees everything itself, then stays alive doing nothing; thread B must get as much:
    /// space cached by an idle live thread is not lost.
    /// </summary>
    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void SpaceFreedByAnIdleLiveThreadIsAvailableToOthers(string fileSystem, MemoryUsagePolicy policy)
    {
        foreach (nuint size in new nuint[] { 64, 4096 })
        {
            using PmemKind kind = BlockChecks.Create(fileSystem, policy: policy);
            using var aDone = new ManualResetEventSlim();
            using var release = new ManualResetEventSlim();
            int aCount = 0;
            Exception? aError = null;
            var a = new Thread(() =>
            {
                try
                {
                    List<nuint> blocks = Fill(kind, size);
                    aCount = blocks.Count;
                    FreeAll(kind, blocks);
                }
                catch (Exception e)
                {
                    aError = e;
                }
                aDone.Set();
                release.Wait(); // stays alive, idle, holding whatever it cached
            });
            a.Start();
            try
            {
                aDone.Wait();
                Assert.Null(aError);
                int bCount = 0;
                ThreadRunner.Run(() =>
                {
                    List<nuint> blocks = Fill(kind, size);
                    bCount = blocks.Count;
                    FreeAll(kind, blocks);
                });
                Assert.True(bCount >= aCount, $"Thread B got {bCount} blocks of {size} bytes while thread A (alive, idle, all freed) had got {aCount} ({policy}).");
                AssertHolds(bCount, size, size == 64 ? 14 * MiB : 15 * MiB, $"thread B, {size}-byte blocks ({policy})");
            }
            finally
            {
                release.Set();
                a.Join();
            }
        }
    }

    /// <summary>
    /// Thread A fills the kind; thread B frees all of A's blocks (remote frees); A stays alive and idle; then B fills:
    /// B must get as much as A got.
    /// </summary>
    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void SpaceFreedByCrossThreadFreesIsAvailableWhileTheOwnerIdles(string fileSystem, MemoryUsagePolicy policy)
    {
        foreach (nuint size in new nuint[] { 64, 4096 })
        {
            using PmemKind kind = BlockChecks.Create(fileSystem, policy: policy);
            using var aDone = new ManualResetEventSlim();
            using var release = new ManualResetEventSlim();
            List<nuint>? aBlocks = null;
            Exception? aError = null;
            var a = new Thread(() =>
            {
                try
                {
                    aBlocks = Fill(kind, size);
                }
                catch (Exception e)
                {
                    aError = e;
                }
                aDone.Set();
                release.Wait();
            });
            a.Start();
            try
            {
                aDone.Wait();
                Assert.Null(aError);
                int aCount = aBlocks!.Count;
                int bCount = 0;
                ThreadRunner.Run(() =>
                {
                    FreeAll(kind, aBlocks);
                    Assert.Equal(0, kind.GetStats().Allocated);
                    List<nuint> blocks = Fill(kind, size);
                    bCount = blocks.Count;
                    FreeAll(kind, blocks);
                });
                Assert.True(bCount >= aCount, $"Thread B freed A's {aCount} blocks of {size} bytes, then got only {bCount} while A stayed idle ({policy}).");
                Assert.Equal(0, kind.GetStats().Allocated);
            }
            finally
            {
                release.Set();
                a.Join();
            }
        }
    }
}
