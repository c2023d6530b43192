namespace MemoryKinds.Tests;

/// <summary>Many kinds at once, and many created and destroyed: nothing leaks. Alone, so descriptor counts are exact.</summary>
[Collection(ProcessResourcesCollection.Name)]
public unsafe class ManyKindsTests
{
    [Fact]
    public void TenThousandKindsAliveAtOnceThenAllDisposed()
    {
        const int Count = 10_000;
        string dir = TestDirectories.Tmpfs;
        ProcessResources.Snapshot before = ProcessResources.Take(dir);
        var kinds = new List<PmemKind>(Count);
        var blocks = new nuint[Count];
        try
        {
            for (int i = 0; i < Count; i++)
            {
                PmemKind kind = PmemKind.Create(dir, PmemKind.MinSize);
                kinds.Add(kind);
                byte* p = (byte*)kind.Alloc(64);
                p[0] = (byte)i;
                p[63] = (byte)(i >> 8);
                blocks[i] = (nuint)p;
            }
            Assert.Equal(Count, kinds.Select(k => k.Name).Distinct().Count());
            int fds = ProcessResources.FdCount();
            Assert.True(fds >= before.Fds + Count, $"With {Count} kinds alive the process has {fds} descriptors ({before.Fds} before): each kind should hold its file.");
            for (int i = 0; i < Count; i++)
            {
                byte* p = (byte*)blocks[i];
                Assert.True(p[0] == (byte)i && p[63] == (byte)(i >> 8), $"Kind #{i}'s block lost its contents while 9,999 other kinds lived.");
                Assert.Same(kinds[i], MemoryKind.Detect(p));
                Assert.Equal((long)kinds[i].GetUsableSize(p), kinds[i].GetStats().Allocated);
            }
        }
        finally
        {
            foreach (PmemKind kind in kinds) kind.Dispose();
        }
        Assert.All(kinds, k => Assert.True(k.IsDisposed));
        for (int i = 0; i < Count; i += 997) Assert.Null(MemoryKind.Detect((void*)blocks[i]));
        before.AssertUnchanged($"After disposing {Count} kinds");
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void CreateAndDestroyThousandTimesLeavesNothing(string fileSystem)
    {
        string dir = TestDirectories.Get(fileSystem);
        // Warm up once so lazily created process-wide state (purger timer, tables) is not counted as a leak.
        using (PmemKind warm = PmemKind.Create(dir, PmemKind.MinSize)) warm.Free(warm.Alloc(16));
        ProcessResources.Snapshot before = ProcessResources.Take(dir);
        long virtualBefore = ProcessResources.VirtualBytes();
        for (int i = 0; i < 1000; i++)
        {
            long limit = i % 4 == 3 ? 0 : PmemKind.MinSize;
            MemoryUsagePolicy policy = i % 2 == 0 ? MemoryUsagePolicy.Default : MemoryUsagePolicy.Conservative;
            using PmemKind kind = PmemKind.Create(new PmemConfig(dir) { Size = limit, UsagePolicy = policy });
            void* small = kind.Alloc(100);
            void* large = kind.Alloc(1u << 20);
            ((byte*)small)[0] = 1;
            ((byte*)large)[0] = 1;
            if (i % 3 == 0) kind.Free(small); // the rest is left live for Dispose
        }
        before.AssertUnchanged("After creating and destroying 1,000 kinds");
        long virtualAfter = ProcessResources.VirtualBytes();
        // 1,000 leaked 16 MiB reservations would add 16 GiB; the runtime's own growth is far below 1 GiB.
        Assert.True(virtualAfter - virtualBefore < 1L << 30, $"The process's virtual size grew by {(virtualAfter - virtualBefore) >> 20} MiB over 1,000 create/destroy cycles.");
    }
}
