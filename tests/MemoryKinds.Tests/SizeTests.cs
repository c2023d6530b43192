namespace MemoryKinds.Tests;

/// <summary>Sizes and alignment: Alloc(0), usable size and waste, 16-byte alignment, AlignedAlloc.</summary>
public unsafe class SizeTests
{
    private const nuint OneMiB = 1u << 20;

    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void AllocZeroBytesReturnsUniqueFreeableBlocks(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, policy: policy);
        var seen = new HashSet<nuint>();
        var blocks = new List<nuint>();
        for (int i = 0; i < 1000; i++)
        {
            void* p = kind.Alloc(0);
            Assert.True(p != null, $"Alloc(0) #{i} returned null.");
            Assert.True(seen.Add((nuint)p), $"Alloc(0) #{i} returned 0x{(nuint)p:x}, which a live Alloc(0) block already has.");
            Assert.True(BlockChecks.IsAligned(p, 16), $"Alloc(0) returned 0x{(nuint)p:x}, not 16-byte aligned.");
            Assert.Same(kind, MemoryKind.Detect(p));
            blocks.Add((nuint)p);
        }
        Assert.True(kind.GetStats().Allocated > 0, "1000 live Alloc(0) blocks count for nothing in Allocated.");
        foreach (nuint p in blocks) kind.Free((void*)p);
        Assert.Equal(0, kind.GetStats().Allocated);
        // Freed for real: freeing again is refused.
        Assert.Throws<ArgumentException>(() => kind.Free((void*)blocks[0]));
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void TryAllocZeroBytesAndAllocZeroedZeroAlsoGiveUniqueBlocks(string fileSystem)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem);
        void* a = kind.TryAlloc(0), b = kind.AllocZeroed(0, 16), c = kind.AllocZeroed(16, 0), d = kind.AlignedAlloc(0, 64);
        Assert.True(a != null && b != null && c != null && d != null, "A zero-byte allocation returned null.");
        Assert.Equal(4, new HashSet<nuint> { (nuint)a, (nuint)b, (nuint)c, (nuint)d }.Count);
        Assert.True(BlockChecks.IsAligned(d, 64), $"AlignedAlloc(0, 64) returned 0x{(nuint)d:x}.");
        kind.Free(a);
        kind.Free(b);
        kind.Free(c);
        kind.Free(d);
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    /// <summary>Every size 0..4096: usable ≥ request, waste ≤ max(12.5%, 16 B), 16-byte aligned.</summary>
    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void DenseSweepUsableSizeWasteAndAlignment(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, policy: policy);
        // Keep a few blocks of each size alive so the check also covers blocks that are not the first of their page.
        var live = new List<nuint>();
        for (nuint size = 0; size <= 4096; size++)
        {
            for (int copy = 0; copy < 2; copy++)
            {
                void* p = kind.Alloc(size);
                CheckBlock(kind, p, size);
                live.Add((nuint)p);
            }
            if (live.Count >= 512)
            {
                foreach (nuint q in live) kind.Free((void*)q);
                live.Clear();
            }
        }
        foreach (nuint q in live) kind.Free((void*)q);
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    /// <summary>Sizes from 4 KiB to 1 MiB in steps of 0.5%, plus every power of two and its neighbours.</summary>
    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void GeometricSweepUsableSizeWasteAndAlignment(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, 64L << 20, policy);
        var sizes = new SortedSet<nuint>();
        for (double s = 4096; s <= OneMiB; s *= 1.005) sizes.Add((nuint)s);
        for (int shift = 4; shift <= 20; shift++)
        {
            nuint pow = (nuint)1 << shift;
            sizes.Add(pow - 1);
            sizes.Add(pow);
            if (pow + 1 <= OneMiB) sizes.Add(pow + 1);
            // Just above each class boundary between powers of two (eight classes per doubling).
            for (nuint eighth = 1; eighth < 8 && shift >= 7; eighth++) sizes.Add(pow + eighth * (pow / 8) + 1);
        }
        sizes.Add(OneMiB);
        foreach (nuint size in sizes)
        {
            if (size > OneMiB) continue;
            void* p = kind.Alloc(size);
            CheckBlock(kind, p, size);
            // Touch both ends: the whole usable block must be writable.
            nuint usable = kind.GetUsableSize(p);
            ((byte*)p)[0] = 1;
            ((byte*)p)[usable - 1] = 2;
            kind.Free(p);
        }
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    private static void CheckBlock(MemoryKind kind, void* p, nuint size)
    {
        Assert.True(p != null, $"Alloc({size}) returned null.");
        nuint usable = kind.GetUsableSize(p);
        Assert.True(usable >= size, $"Alloc({size}): usable size {usable} is below the request.");
        nuint waste = usable - size;
        nuint allowed = Math.Max(size / 8, 16);
        Assert.True(waste <= allowed, $"Alloc({size}): usable size {usable} wastes {waste} bytes, more than max(12.5%, 16) = {allowed}.");
        Assert.True(BlockChecks.IsAligned(p, 16), $"Alloc({size}) returned 0x{(nuint)p:x}, not 16-byte aligned.");
    }

    /// <summary>Every power of two from 1 to 2^22, with sizes below, at and above the alignment.</summary>
    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void AlignedAllocHonoursEveryPowerOfTwo(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, 0, policy);
        for (int shift = 0; shift <= 22; shift++)
        {
            nuint alignment = (nuint)1 << shift;
            var live = new List<nuint>();
            foreach (nuint size in new nuint[] { 0, 1, 24, alignment, alignment + 1, 3 * alignment / 2 + 5, 100_000 })
            {
                // Several blocks per size, so not only the first block of a fresh page is checked.
                for (int copy = 0; copy < 2; copy++)
                {
                    void* p = kind.AlignedAlloc(size, alignment);
                    Assert.True(p != null, $"AlignedAlloc({size}, {alignment}) returned null.");
                    Assert.True(BlockChecks.IsAligned(p, alignment), $"AlignedAlloc({size}, {alignment}) returned 0x{(nuint)p:x}, not aligned to {alignment}.");
                    Assert.True(BlockChecks.IsAligned(p, 16), $"AlignedAlloc({size}, {alignment}) returned 0x{(nuint)p:x}, not 16-byte aligned.");
                    nuint usable = kind.GetUsableSize(p);
                    Assert.True(usable >= size, $"AlignedAlloc({size}, {alignment}): usable size {usable} is below the request.");
                    if (size > 0) BlockChecks.Fill(p, size, (byte)shift);
                    void* q = kind.TryAlignedAlloc(size, alignment);
                    Assert.True(q != null && BlockChecks.IsAligned(q, alignment), $"TryAlignedAlloc({size}, {alignment}) returned 0x{(nuint)q:x}.");
                    live.Add((nuint)p);
                    live.Add((nuint)q);
                }
            }
            Assert.Equal(live.Count, live.Distinct().Count());
            foreach (nuint p in live) kind.Free((void*)p);
        }
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void AlignedAllocRejectsAlignmentsThatAreNotPowersOfTwo(string fileSystem)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem);
        foreach (nuint alignment in new nuint[] { 0, 3, 24, 48, 4095, nuint.MaxValue })
        {
            ArgumentException e1 = Assert.Throws<ArgumentException>(() => kind.AlignedAlloc(64, alignment));
            Assert.Equal("alignment", e1.ParamName);
            ArgumentException e2 = Assert.Throws<ArgumentException>(() => kind.TryAlignedAlloc(64, alignment));
            Assert.Equal("alignment", e2.ParamName);
        }
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    /// <summary>An alignment the kind cannot give: null from the Try form, OutOfMemoryException otherwise; never a misaligned pointer.</summary>
    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void ImpossibleAlignmentFailsCleanly(string fileSystem, MemoryUsagePolicy policy)
    {
        foreach (long limit in new[] { PmemKind.MinSize, 0L })
        {
            using PmemKind kind = BlockChecks.Create(fileSystem, limit, policy);
            foreach (int shift in new[] { 40, 50, 63 })
            {
                nuint alignment = (nuint)1 << shift;
                foreach (nuint size in new nuint[] { 0, 16, 4096, 1u << 20 })
                {
                    void* p = kind.TryAlignedAlloc(size, alignment);
                    Assert.True(p == null, $"TryAlignedAlloc({size}, 2^{shift}) on a kind limited to {limit} returned 0x{(nuint)p:x}" + (p != null && !BlockChecks.IsAligned(p, alignment) ? " (misaligned!)" : "") + " instead of null.");
                    Assert.Throws<OutOfMemoryException>(() => kind.AlignedAlloc(size, alignment));
                }
            }
            // The kind still works and nothing leaked into its stats.
            Assert.Equal(0, kind.GetStats().Allocated);
            void* q = kind.AlignedAlloc(100, 4096);
            Assert.True(BlockChecks.IsAligned(q, 4096));
            kind.Free(q);
        }
    }
}
