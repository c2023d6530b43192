using System.Runtime.InteropServices;
using MemoryKinds.Reliability;

namespace MemoryKinds.Tests;

/// <summary>Pointers a kind does not own are refused with ArgumentException and nothing changes; Detect and FreeAny.</summary>
public unsafe class OwnershipTests
{
    /// <summary>Every per-block call of <paramref name="kind"/> on <paramref name="p"/> must throw ArgumentException.</summary>
    private static void AssertRefused(MemoryKind kind, void* p, string what)
    {
        // MemoryKind.Default is shared with tests running in parallel: its stats can move for other reasons.
        bool exactStats = kind != MemoryKind.Default;
        KindStats before = kind.GetStats();
        Assert.Throws<ArgumentException>(() => kind.Free(p));
        Assert.Throws<ArgumentException>(() => kind.Realloc(p, 64));
        Assert.Throws<ArgumentException>(() => kind.Realloc(p, 1u << 20));
        Assert.Throws<ArgumentException>(() => kind.TryRealloc(p, 64));
        Assert.Throws<ArgumentException>(() => kind.GetUsableSize(p));
        Assert.Throws<ArgumentException>(() => kind.DefragRealloc(p));
        KindStats after = kind.GetStats();
        Assert.True(!exactStats || before == after, $"{what}: refused calls changed {kind.Name}'s stats from {before} to {after}.");
    }

    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void ForeignInteriorAndFreedPointersAreRefusedAndNothingChanges(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, policy: policy);
        string otherFs = fileSystem == "ext4" ? "tmpfs" : "ext4";
        using PmemKind other = BlockChecks.Create(otherFs, policy: policy);
        using PmemKind sameDir = BlockChecks.Create(fileSystem, policy: policy);

        // Live blocks of this kind that must survive everything below.
        byte* mineSmall = (byte*)kind.Alloc(64);
        byte* mineLarge = (byte*)kind.Alloc(1u << 20);
        BlockChecks.Fill(mineSmall, 64, 0x11);
        BlockChecks.Fill(mineLarge, 1u << 20, 0x22);

        foreach (MemoryKind owner in new MemoryKind[] { other, sameDir, MemoryKind.Default })
        {
            foreach (nuint size in new nuint[] { 16, 64, 5000, 1u << 20 })
            {
                byte* theirs = (byte*)owner.Alloc(size);
                BlockChecks.Fill(theirs, size, 0x5A);
                KindStats ownerBefore = owner.GetStats();
                AssertRefused(kind, theirs, $"{owner.Name}'s {size}-byte block given to {kind.Name}");
                Assert.True(BlockChecks.AllAre(theirs, size, 0x5A), $"{owner.Name}'s block was changed by refused calls on {kind.Name}.");
                if (owner != MemoryKind.Default) Assert.Equal(ownerBefore, owner.GetStats());
                Assert.Same(owner, MemoryKind.Detect(theirs));
                Assert.True(owner.GetUsableSize(theirs) >= size);
                owner.Free(theirs);
            }
            // And the other way round: our blocks given to the other kind.
            AssertRefused(owner, mineSmall, $"{kind.Name}'s small block given to {owner.Name}");
            AssertRefused(owner, mineLarge, $"{kind.Name}'s large block given to {owner.Name}");
        }

        // NativeMemory (malloc) and the stack.
        byte* native = (byte*)NativeMemory.Alloc(256);
        try
        {
            BlockChecks.Fill(native, 256, 0x33);
            AssertRefused(kind, native, "a NativeMemory block");
            Assert.True(BlockChecks.AllAre(native, 256, 0x33));
        }
        finally
        {
            NativeMemory.Free(native);
        }
        byte* stack = stackalloc byte[256];
        new Span<byte>(stack, 256).Fill(0x44);
        AssertRefused(kind, (void*)(((nuint)stack + 15) & ~(nuint)15), "a stack pointer");
        Assert.True(BlockChecks.AllAre(stack, 256, 0x44));

        // Interior pointers: inside a small block, inside a large block, at a 64 KiB slice boundary inside a large block.
        AssertRefused(kind, mineSmall + 16, "an interior pointer (small + 16)");
        AssertRefused(kind, mineSmall + 1, "an interior pointer (small + 1)");
        AssertRefused(kind, mineLarge + 16, "an interior pointer (large + 16)");
        AssertRefused(kind, mineLarge + (64 << 10), "an interior pointer (large + 64 KiB)");
        AssertRefused(kind, mineLarge + (512 << 10), "an interior pointer (large + 512 KiB)");
        // Just past the end of the large block and memory of the kind never handed out.
        AssertRefused(kind, mineLarge + kind.GetUsableSize(mineLarge) + (1u << 20), "a never-allocated address of the kind");

        // Freed blocks: small, large, and a small one freed by another thread.
        byte* freedSmall = (byte*)kind.Alloc(64);
        byte* freedLarge = (byte*)kind.Alloc(3u << 20);
        byte* freedRemote = (byte*)kind.Alloc(200);
        kind.Free(freedSmall);
        kind.Free(freedLarge);
        ThreadRunner.Run(() => kind.Free(freedRemote));
        AssertRefused(kind, freedSmall, "a freed small block");
        AssertRefused(kind, freedLarge, "a freed large block");
        AssertRefused(kind, freedRemote, "a small block freed by another thread");
        ThreadRunner.Run(() => AssertRefused(kind, freedSmall, "a freed small block, from another thread"));
        ThreadRunner.Run(() => AssertRefused(kind, freedRemote, "a block freed by another thread, from another thread"));

        // Our blocks are intact and freeable.
        Assert.True(BlockChecks.AllAre(mineSmall, 64, 0x11), "A refused call changed a live block of the kind.");
        Assert.True(BlockChecks.AllAre(mineLarge, 1u << 20, 0x22), "A refused call changed a live large block of the kind.");
        Assert.Equal((long)(kind.GetUsableSize(mineSmall) + kind.GetUsableSize(mineLarge)), kind.GetStats().Allocated);
        kind.Free(mineSmall);
        kind.Free(mineLarge);
        Assert.Equal(0, kind.GetStats().Allocated);
        Assert.Equal(0, other.GetStats().Allocated);
        Assert.Equal(0, sameDir.GetStats().Allocated);
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void NullIsHarmlessWhereDocumented(string fileSystem)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem);
        kind.Free(null);
        Assert.Equal((nuint)0, kind.GetUsableSize(null));
        Assert.True(kind.DefragRealloc(null) == null);
        void* p = kind.Realloc(null, 100);
        Assert.True(p != null && kind.GetUsableSize(p) >= 100, "Realloc(null, 100) did not allocate.");
        kind.Free(p);
        MemoryKind.FreeAny(null);
        Assert.Null(MemoryKind.Detect(null));
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    [Fact]
    public void DetectFindsTheOwnerAmongSeveralKinds()
    {
        using PmemKind ext4 = BlockChecks.Create("ext4", 128L << 20);
        using PmemKind tmpfs = BlockChecks.Create("tmpfs", 128L << 20);
        using PmemKind conservative = BlockChecks.Create("tmpfs", 0, MemoryUsagePolicy.Conservative);
        using PmemKind unlimited = BlockChecks.Create("ext4", 0);
        var kinds = new MemoryKind[] { ext4, tmpfs, conservative, unlimited, MemoryKind.Default };
        var blocks = new List<(nuint P, nuint Size, MemoryKind Owner)>();
        var random = new Random(1234);
        for (int round = 0; round < 50; round++)
        {
            foreach (MemoryKind kind in kinds)
            {
                nuint size = round % 10 == 9 ? (nuint)random.Next(600_000, 3_000_000) : (nuint)random.Next(0, 40_000);
                blocks.Add(((nuint)kind.Alloc(size), size, kind));
            }
        }
        // A block of a fresh region of the unlimited kind (beyond its first 64 MiB reservation).
        blocks.Add(((nuint)unlimited.Alloc(100u << 20), 100u << 20, unlimited));
        foreach ((nuint p, nuint size, MemoryKind owner) in blocks)
        {
            MemoryKind? found = MemoryKind.Detect((void*)p);
            Assert.True(ReferenceEquals(owner, found), $"Detect(0x{p:x}) found {found?.Name ?? "null"}, not {owner.Name}.");
            // Detect accepts any address inside the kind's heap, also inside a block.
            if (size > 16) Assert.Same(owner, MemoryKind.Detect((void*)(p + size - 1)));
        }
        foreach ((nuint p, _, MemoryKind owner) in blocks) owner.Free((void*)p);
        foreach (MemoryKind kind in kinds.Where(k => k != MemoryKind.Default)) Assert.Equal(0, kind.GetStats().Allocated);
    }

    [Fact]
    public void DetectReturnsNullForMemoryNoKindOwns()
    {
        using PmemKind kind = BlockChecks.Create("tmpfs");
        void* mine = kind.Alloc(100);
        Assert.Null(MemoryKind.Detect(null));
        void* native = NativeMemory.Alloc(100);
        void* nativeLarge = NativeMemory.Alloc(8u << 20);
        try
        {
            Assert.Null(MemoryKind.Detect(native));
            Assert.Null(MemoryKind.Detect(nativeLarge));
        }
        finally
        {
            NativeMemory.Free(native);
            NativeMemory.Free(nativeLarge);
        }
        byte* stack = stackalloc byte[64];
        Assert.Null(MemoryKind.Detect(stack));
        foreach (nuint address in new nuint[] { 0x1000, unchecked((nuint)0x7fff_0000_0000), nuint.MaxValue - 4095, 1, 0x10, nuint.MaxValue, (nuint)1 << 48, (nuint)1 << 63 })
        {
            MemoryKind? found = MemoryKind.Detect((void*)address);
            Assert.True(found is null, $"Detect(0x{address:x}) returned {found?.Name}.");
        }
        fixed (byte* managed = new byte[100]) Assert.Null(MemoryKind.Detect(managed));
        Assert.Same(kind, MemoryKind.Detect(mine));
        kind.Free(mine);
    }

    [Fact]
    public void FreeAnyFreesThroughTheOwningKind()
    {
        using PmemKind ext4 = BlockChecks.Create("ext4");
        using PmemKind tmpfs = BlockChecks.Create("tmpfs");
        using PmemKind conservative = BlockChecks.Create("ext4", policy: MemoryUsagePolicy.Conservative);
        var kinds = new PmemKind[] { ext4, tmpfs, conservative };
        var blocks = new List<nuint>();
        foreach (PmemKind kind in kinds)
            foreach (nuint size in new nuint[] { 0, 16, 100, 4096, 70_000, 1u << 20 })
                blocks.Add((nuint)kind.Alloc(size));
        void* dram = MemoryKind.Default.Alloc(100);
        foreach (PmemKind kind in kinds) Assert.True(kind.GetStats().Allocated > 0);

        // Free from another thread too: FreeAny must work from any thread.
        ThreadRunner.Run(() => { for (int i = 0; i < blocks.Count; i += 2) MemoryKind.FreeAny((void*)blocks[i]); });
        for (int i = 1; i < blocks.Count; i += 2) MemoryKind.FreeAny((void*)blocks[i]);
        MemoryKind.FreeAny(dram);
        foreach (PmemKind kind in kinds) Assert.Equal(0, kind.GetStats().Allocated);

        // Freed, foreign and interior pointers are refused.
        Assert.Throws<ArgumentException>(() => MemoryKind.FreeAny((void*)blocks[0]));
        Assert.Throws<ArgumentException>(() => MemoryKind.FreeAny(dram));
        void* native = NativeMemory.Alloc(64);
        try
        {
            Assert.Throws<ArgumentException>(() => MemoryKind.FreeAny(native));
        }
        finally
        {
            NativeMemory.Free(native);
        }
        byte* stack = stackalloc byte[64];
        nuint stackAddress = (nuint)stack;
        Assert.Throws<ArgumentException>(() => MemoryKind.FreeAny((void*)stackAddress));
        Assert.Throws<ArgumentException>(() => MemoryKind.FreeAny((void*)0x1000));
        Assert.Throws<ArgumentException>(() => MemoryKind.FreeAny((void*)(nuint.MaxValue - 4095)));
        void* live = tmpfs.Alloc(64);
        Assert.Throws<ArgumentException>(() => MemoryKind.FreeAny((byte*)live + 16));
        Assert.Equal((long)tmpfs.GetUsableSize(live), tmpfs.GetStats().Allocated);
        MemoryKind.FreeAny(live);
        Assert.Equal(0, tmpfs.GetStats().Allocated);
    }
}

/// <summary>
/// Runs alone: a disposed kind's address space goes back to the OS, and a kind created meanwhile by a parallel test
/// could be given the same addresses.
/// </summary>
[Collection(ProcessResourcesCollection.Name)]
public unsafe class DisposedKindOwnershipTests
{
    [Fact]
    public void DetectReturnsNullAfterTheKindIsDisposed()
    {
        PmemKind kind = BlockChecks.Create("tmpfs");
        void* p = kind.Alloc(100);
        void* large = kind.Alloc(2u << 20);
        Assert.Same(kind, MemoryKind.Detect(p));
        kind.Dispose();
        Assert.Null(MemoryKind.Detect(p));
        Assert.Null(MemoryKind.Detect(large));
        Assert.Throws<ArgumentException>(() => MemoryKind.FreeAny(p));
    }
}
