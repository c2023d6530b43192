namespace MemoryKinds.Tests;

/// <summary>Allocation failure: Try forms return null, the others throw; failed reallocs keep the block; overflow; zeroing.</summary>
public unsafe class FailureTests
{
    private const nuint TooBig = 32u << 20; // more than a 16 MiB kind can ever give

    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void TryFormsReturnNullAndOthersThrowWhenTheRequestCannotFit(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, policy: policy);
        Assert.True(kind.TryAlloc(TooBig) == null, "TryAlloc(32 MiB) on a 16 MiB kind did not return null.");
        Assert.True(kind.TryAllocZeroed(1, TooBig) == null, "TryAllocZeroed(1, 32 MiB) on a 16 MiB kind did not return null.");
        Assert.True(kind.TryAllocZeroed(TooBig / 16, 16) == null, "TryAllocZeroed(2 Mi, 16) on a 16 MiB kind did not return null.");
        Assert.True(kind.TryAlignedAlloc(TooBig, 64) == null, "TryAlignedAlloc(32 MiB, 64) on a 16 MiB kind did not return null.");
        Assert.True(kind.TryRealloc(null, TooBig) == null, "TryRealloc(null, 32 MiB) on a 16 MiB kind did not return null.");
        Assert.Throws<OutOfMemoryException>(() => kind.Alloc(TooBig));
        Assert.Throws<OutOfMemoryException>(() => kind.AllocZeroed(1, TooBig));
        Assert.Throws<OutOfMemoryException>(() => kind.AlignedAlloc(TooBig, 64));
        Assert.Throws<OutOfMemoryException>(() => kind.Realloc(null, TooBig));
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void TryFormsReturnNullAndOthersThrowWhenTheKindIsFull(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, policy: policy);
        var blocks = new List<nuint>();
        while (true)
        {
            void* p = kind.TryAlloc(4096);
            if (p == null) break;
            blocks.Add((nuint)p);
            Assert.True(blocks.Count < 10_000, "A 16 MiB kind gave more than 10,000 blocks of 4 KiB.");
        }
        Assert.True(kind.TryAlloc(4096) == null, "TryAlloc on a full kind succeeded right after failing.");
        Assert.True(kind.TryAllocZeroed(1, 4096) == null, "TryAllocZeroed on a full kind did not return null.");
        Assert.True(kind.TryAlignedAlloc(4096, 4096) == null, "TryAlignedAlloc on a full kind did not return null.");
        Assert.Throws<OutOfMemoryException>(() => kind.Alloc(4096));
        Assert.Throws<OutOfMemoryException>(() => kind.AllocZeroed(2, 2048));
        Assert.Throws<OutOfMemoryException>(() => kind.AlignedAlloc(4096, 4096));
        Assert.Throws<OutOfMemoryException>(() => kind.Alloc(1u << 20));
        // Freeing one block makes room for exactly that again.
        kind.Free((void*)blocks[^1]);
        blocks.RemoveAt(blocks.Count - 1);
        void* again = kind.TryAlloc(4096);
        Assert.True(again != null, "After freeing a block of a full kind, an allocation of the same size failed.");
        blocks.Add((nuint)again);
        foreach (nuint p in blocks) kind.Free((void*)p);
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    /// <summary>A failed Realloc/TryRealloc leaves the old block intact and freeable, for small and large blocks.</summary>
    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void FailedReallocLeavesTheOldBlockIntact(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, policy: policy);
        foreach (nuint size in new nuint[] { 16, 1000, 70_000, 1u << 20, 5u << 20 })
        {
            byte* p = (byte*)kind.Alloc(size);
            for (nuint i = 0; i < size; i++) p[i] = (byte)(i * 7 + 3);
            long allocated = kind.GetStats().Allocated;

            Assert.True(kind.TryRealloc(p, TooBig) == null, $"TryRealloc({size} -> 32 MiB) on a 16 MiB kind did not return null.");
            Assert.Throws<OutOfMemoryException>(() => kind.Realloc(p, TooBig));
            Assert.True(kind.TryRealloc(p, nuint.MaxValue) == null, $"TryRealloc({size} -> nuint.MaxValue) did not return null.");
            Assert.Throws<OutOfMemoryException>(() => kind.Realloc(p, nuint.MaxValue - 15));

            for (nuint i = 0; i < size; i++)
                if (p[i] != (byte)(i * 7 + 3)) Assert.Fail($"After a failed realloc of a {size}-byte block, byte {i} is {p[i]}, not {(byte)(i * 7 + 3)}.");
            Assert.True(kind.GetUsableSize(p) >= size);
            Assert.Same(kind, MemoryKind.Detect(p));
            Assert.Equal(allocated, kind.GetStats().Allocated);
            kind.Free(p);
        }
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    /// <summary>A realloc that fails because the kind is full (not because the request is absurd) keeps the block too.</summary>
    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void FailedReallocInAFullKindLeavesTheOldBlockIntact(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, policy: policy);
        byte* keep = (byte*)kind.Alloc(1000);
        BlockChecks.Fill(keep, 1000, 0xA5);
        var filler = new List<nuint>();
        for (void* p; (p = kind.TryAlloc(64 << 10)) != null;) filler.Add((nuint)p);
        for (void* p; (p = kind.TryAlloc(1000)) != null;) filler.Add((nuint)p);

        // The kind has no room for a 256 KiB block: growing the block must fail and keep it.
        Assert.True(kind.TryRealloc(keep, 256u << 10) == null, "TryRealloc(1000 -> 256 KiB) in a full kind did not return null.");
        Assert.Throws<OutOfMemoryException>(() => kind.Realloc(keep, 256u << 10));
        Assert.True(BlockChecks.AllAre(keep, 1000, 0xA5), $"A failed realloc in a full kind changed the block at byte {BlockChecks.FirstNot(keep, 1000, 0xA5)}.");
        Assert.True(kind.GetUsableSize(keep) >= 1000);
        kind.Free(keep);
        foreach (nuint p in filler) kind.Free((void*)p);
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    /// <summary>Sizes whose arithmetic overflows fail cleanly on bounded and unbounded kinds, and the kind keeps working.</summary>
    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void OverflowingSizesFailCleanly(string fileSystem, MemoryUsagePolicy policy)
    {
        foreach (long limit in new[] { PmemKind.MinSize, 0L })
        {
            using PmemKind kind = BlockChecks.Create(fileSystem, limit, policy);
            string where = $"(kind limited to {limit}, {policy})";
            foreach (nuint size in new[] { nuint.MaxValue, nuint.MaxValue - 15, nuint.MaxValue - 65535, (nuint)1 << 63, (nuint)1 << 47 })
            {
                Assert.True(kind.TryAlloc(size) == null, $"TryAlloc(0x{size:x}) did not return null {where}.");
                Assert.Throws<OutOfMemoryException>(() => kind.Alloc(size));
                Assert.True(kind.TryAlignedAlloc(size, 64) == null, $"TryAlignedAlloc(0x{size:x}, 64) did not return null {where}.");
                Assert.True(kind.TryAlignedAlloc(size, 1u << 20) == null, $"TryAlignedAlloc(0x{size:x}, 1 MiB) did not return null {where}.");
                Assert.Throws<OutOfMemoryException>(() => kind.AlignedAlloc(size, 4096));
            }
            foreach ((nuint count, nuint size) in new[] { (nuint.MaxValue, (nuint)2), ((nuint)1 << 33, (nuint)1 << 33), ((nuint)2, nuint.MaxValue), ((nuint)1 << 32, ((nuint)1 << 32) + 1), (nuint.MaxValue, nuint.MaxValue) })
            {
                Assert.True(kind.TryAllocZeroed(count, size) == null, $"TryAllocZeroed(0x{count:x}, 0x{size:x}) did not return null {where}.");
                Assert.Throws<OutOfMemoryException>(() => kind.AllocZeroed(count, size));
            }
            Assert.Equal(new KindStats(0, 0, kind.GetStats().Resident), kind.GetStats());
            byte* p = (byte*)kind.Alloc(100);
            p[99] = 1;
            kind.Free(p);
            Assert.Equal(0, kind.GetStats().Allocated);
        }
    }

    /// <summary>
    /// AllocZeroed zeroes memory that earlier blocks dirtied, small and large (2 MiB). Large sizes dirty the whole kind
    /// first, so whatever AllocZeroed returns was written with 0xFF before.
    /// </summary>
    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void AllocZeroedZeroesReusedMemory(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, policy: policy);
        const int FillKind = -1;
        foreach ((nuint count, nuint size, int blocks) in new[] { ((nuint)1, (nuint)16, 2000), ((nuint)3, (nuint)100, 500), ((nuint)1, (nuint)4096, 300), ((nuint)1, (nuint)100_000, 20), ((nuint)1, (nuint)(2u << 20), FillKind), ((nuint)1024, (nuint)2048, FillKind), ((nuint)1, (nuint)(600u << 10), FillKind) })
        {
            nuint bytes = count * size;
            var dirty = new List<(nuint Start, nuint End)>();
            while (blocks == FillKind || dirty.Count < blocks)
            {
                void* p = kind.TryAlloc(bytes);
                if (p == null) break;
                nuint usable = kind.GetUsableSize(p);
                BlockChecks.Fill(p, usable, 0xFF);
                dirty.Add(((nuint)p, (nuint)p + usable));
            }
            Assert.True(dirty.Count > 0 && (blocks == FillKind || dirty.Count == blocks), $"Could only allocate {dirty.Count} blocks of {bytes} bytes.");
            foreach ((nuint p, _) in dirty) kind.Free((void*)p);

            var zeroed = new List<nuint>();
            int reused = 0;
            for (int i = 0; i < dirty.Count; i++)
            {
                void* p = kind.AllocZeroed(count, size);
                int bad = BlockChecks.FirstNot(p, bytes, 0);
                if (bad >= 0) Assert.Fail($"AllocZeroed({count}, {size}) #{i} at 0x{(nuint)p:x} has byte {bad} = 0x{((byte*)p)[bad]:x2} ({policy}).");
                if (dirty.Any(d => (nuint)p < d.End && (nuint)p + bytes > d.Start)) reused++;
                zeroed.Add((nuint)p);
            }
            // The check only means something if dirtied memory came back.
            Assert.True(reused > 0, $"AllocZeroed({count}, {size}) never reused dirtied memory; the test did not exercise reuse.");
            foreach (nuint p in zeroed) kind.Free((void*)p);
        }
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    /// <summary>AllocZeroed of a dirtied block freed from another thread (remote free) is zero too.</summary>
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void AllocZeroedZeroesMemoryFreedByAnotherThread(string fileSystem)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem);
        var dirty = new List<nuint>();
        for (int i = 0; i < 1000; i++)
        {
            void* p = kind.Alloc(48);
            BlockChecks.Fill(p, 48, 0xFF);
            dirty.Add((nuint)p);
        }
        var t = new Thread(() => { foreach (nuint p in dirty) kind.Free((void*)p); });
        t.Start();
        t.Join();
        int reused = 0;
        var zeroed = new List<nuint>();
        for (int i = 0; i < 1000; i++)
        {
            void* p = kind.AllocZeroed(1, 48);
            Assert.True(BlockChecks.AllAre(p, 48, 0), $"AllocZeroed(1, 48) at 0x{(nuint)p:x} is not zero.");
            if (dirty.Contains((nuint)p)) reused++;
            zeroed.Add((nuint)p);
        }
        Assert.True(reused > 0, "No block freed by the other thread came back; the test did not exercise reuse.");
        foreach (nuint p in zeroed) kind.Free((void*)p);
        Assert.Equal(0, kind.GetStats().Allocated);
    }
}
