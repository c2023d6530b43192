namespace MemoryKinds.Tests;

/// <summary>
/// Storage is reserved per OS page, not per 64 KiB slice: a page reserves as it fills, a large block only the pages it
/// covers. These tests pin what that must keep: the limit, zeros for zeroed blocks, and the kind's space for its blocks.
/// </summary>
public sealed unsafe class PageReservationTests
{
    private const long KindSize = 16L << 20;

    /// <summary>
    /// A page of 60 KiB blocks spans four slices and reserves the later ones while it is in use; those slices were once
    /// marked "reads zeros" at that moment, so a zeroed large block over them after a purge of their neighbours came back
    /// dirty (found by the C ABI's random mix). Validate checks the invariant directly; the zeroed blocks check the effect.
    /// </summary>
    [Fact]
    public void ZeroedLargeBlocksOverReusedPagesReadZeros()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, KindSize);
        for (int round = 0; round < 4; round++)
        {
            var blocks = new List<nint>();
            for (int i = 0; i < 40; i++)
            {
                void* p = kind.Alloc(60 << 10);
                new Span<byte>(p, 60 << 10).Fill(0xAB);
                blocks.Add((nint)p);
            }
            kind.Validate();
            foreach (nint p in blocks) kind.Free((void*)p);
            // Punch what has been free long enough (as the purger would after its delay), so free spans mix punched and dirty slices.
            kind.Heap.Tick(Environment.TickCount64 + 60_000);
            var zeroed = new List<nint>();
            while (zeroed.Count < 12 && kind.TryAllocZeroed(1, 700 << 10) is var z && z != null)
            {
                Assert.True(new ReadOnlySpan<byte>(z, 700 << 10).IndexOfAnyExcept((byte)0) < 0, $"round {round}: a zeroed 700 KiB block at 0x{(nint)z:x} holds old data.");
                new Span<byte>(z, 700 << 10).Fill(0xCD);
                zeroed.Add((nint)z);
            }
            Assert.NotEmpty(zeroed);
            foreach (nint z in zeroed) kind.Free((void*)z);
        }
        kind.Validate();
    }

    /// <summary>Blocks just over a slice boundary cost their OS pages, not two slices: a bounded kind holds nearly its limit of them.</summary>
    [Fact]
    public void BlocksJustOverASliceFillNearlyTheWholeLimit()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, KindSize);
        const nuint size = (64 << 10) + 100; // 65 KiB in a 68 KiB block: a slice-granular heap fits only KindSize / 128 KiB of them
        var blocks = new List<nint>();
        for (void* p; (p = kind.TryAlloc(size)) != null;) blocks.Add((nint)p);
        long live = blocks.Count * (long)size;
        // 65,636 bytes are served from 72 KiB blocks (size classes waste up to 12.5%); a slice-granular heap would keep half.
        Assert.True(live >= KindSize * 8 / 10, $"{blocks.Count} blocks of {size} bytes ({live} bytes) fitted in a {KindSize}-byte kind.");
        Assert.True(kind.GetStats().Resident <= KindSize);
        kind.Validate();
        foreach (nint p in blocks) kind.Free((void*)p);
    }

    /// <summary>
    /// At jemalloc's size classes memkind's slabs waste nothing, and a kind of ours must hold at least as many blocks
    /// (issue 9): pages of these sizes end on OS page boundaries, so a fill reaches all but a few blocks of the limit.
    /// Before, pages of 1.5 KiB blocks left 1 KiB of their last OS page unused and a fill held 1.5% fewer than memkind's.
    /// </summary>
    [Theory]
    [InlineData(320)]
    [InlineData(768)]
    [InlineData(1536)]
    [InlineData(2560)]
    [InlineData(3584)]
    [InlineData(7168)]
    public void AFillOfOneJemallocClassReachesTheLimit(int size)
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, KindSize);
        var blocks = new List<nint>();
        for (void* p; (p = kind.TryAlloc((nuint)size)) != null;) blocks.Add((nint)p);
        long most = KindSize / size;
        Assert.True(blocks.Count >= most - most / 1000, $"{blocks.Count} blocks of {size} B in a {KindSize}-byte kind; at most {most} fit.");
        kind.Validate();
        foreach (nint p in blocks) kind.Free((void*)p);
    }

    /// <summary>
    /// A bin of one-block pages (256 KiB) with blocks live in a ring keeps the emptied page behind its used-up current
    /// page for the next block instead of giving it back and making a new one per pair; that page is not stranded: a
    /// bounded kind never fails the ring, and after the last free Trim gives everything back.
    /// </summary>
    [Fact]
    public void ARingOfOneBlockPagesReusesItsPagesAndStrandsNone()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, KindSize);
        var ring = new nint[8];
        for (int i = 0; i < 4000; i++)
        {
            ref nint slot = ref ring[i % ring.Length];
            if (slot != 0) kind.Free((void*)slot);
            slot = (nint)kind.TryAlloc(256 << 10);
            Assert.True(slot != 0, $"allocation {i} of a ring of {ring.Length} 256 KiB blocks failed in a {KindSize}-byte kind");
            *(byte*)slot = (byte)i;
        }
        Assert.True(kind.GetStats().Active <= 10 * (256L << 10), $"{kind.GetStats().Active} bytes active for {ring.Length} live 256 KiB blocks");
        kind.Validate();
        foreach (nint p in ring) kind.Free((void*)p);
        kind.Trim();
        Assert.Equal(0, kind.GetStats().Active);
        kind.Validate();
    }

    /// <summary>Many bins with one block each cost a few OS pages per bin, not a page of slices per bin.</summary>
    [Fact]
    public void OneBlockPerBinCostsOsPagesNotSlices()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, KindSize);
        var blocks = new List<nint>();
        for (nuint size = 16; size <= 64 << 10; size += size / 8 + 16) blocks.Add((nint)kind.Alloc(size));
        KindStats stats = kind.GetStats();
        // Each page reserves its first carve (4 KiB, or one block when larger), so no page costs a whole slice up front.
        long atMost = blocks.Sum(p => Math.Max(4096L, (long)kind.GetUsableSize((void*)p) + 4096));
        Assert.True(stats.Resident <= atMost, $"{blocks.Count} one-block bins reserved {stats.Resident} bytes, more than {atMost}.");
        kind.Validate();
        foreach (nint p in blocks) kind.Free((void*)p);
    }

    /// <summary>
    /// A page freed into behind the current page is used when the current page cannot get storage for its next blocks
    /// (found by review: the current page of 1024-byte blocks, out of storage, made the allocation fail while the full
    /// page behind it had a free block).
    /// </summary>
    [Theory]
    [InlineData(MemoryUsagePolicy.Default)]
    [InlineData(MemoryUsagePolicy.Conservative)]
    public void APageWithFreeBlocksBehindTheCurrentOneIsUsedAtTheLimit(MemoryUsagePolicy policy)
    {
        using FileMemorySource source = FileMemorySource.Create(TestDirectories.Tmpfs, 1L << 20);
        using MemoryKind kind = MemoryKind.Create($"behind-{policy}", source, policy);
        var full = Enumerable.Range(0, 64).Select(_ => (nint)kind.Alloc(1024)).ToList();   // one whole 64 KiB page
        var current = Enumerable.Range(0, 2).Select(_ => (nint)kind.Alloc(1024)).ToList(); // the next page, barely carved
        var filler = new List<nint>();
        for (void* p; (p = kind.TryAlloc(4096)) != null;) filler.Add((nint)p);
        kind.Free((void*)full[10]);
        int got = 0;
        for (void* p; (p = kind.TryAlloc(1024)) != null;) got++;
        // The current page's carved blocks (at least 2 more) and the freed block of the full page.
        Assert.True(got >= 3, $"{got} 1024-byte blocks after freeing one of the full page ({policy}).");
        kind.Validate();
    }

    /// <summary>
    /// A kind bounded only by the file system gives back its own idle storage when the file system is full, before an
    /// allocation fails (found by review: a 2 MiB allocation failed with ENOSPC while the kind held 8 MiB, 0.4 MiB live).
    /// </summary>
    [Fact]
    public void AFullFileSystemMakesTheKindGiveBackItsIdleStorageFirst()
    {
        using var mount = ProcessResources.MountTmpfs("size=24m");
        File.WriteAllBytes(Path.Combine(mount.Path, "filler"), new byte[16 << 20]);
        using PmemKind kind = PmemKind.Create(mount.Path);
        var large = new List<nint>();
        for (void* p; (p = kind.TryAlloc(520 << 10)) != null;) large.Add((nint)p);
        var small = new List<nint>();
        for (void* p; (p = kind.TryAlloc(4096)) != null;) small.Add((nint)p);
        Assert.NotEmpty(large);
        foreach (nint p in large) kind.Free((void*)p);
        void* big = kind.TryAlloc(2u << 20);
        Assert.True(big != null, $"2 MiB failed right after freeing {large.Count} blocks of 520 KiB; stats {kind.GetStats()}.");
        kind.Free(big);
        foreach (nint p in small) kind.Free((void*)p);
        kind.Validate();
    }
}
