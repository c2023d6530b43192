using MemoryKinds.Interop;

namespace MemoryKinds.Tests.Reliability;

/// <summary>
/// Deterministic OS failures through the library's seam (<c>Os.FaultInjector</c>, thread-static: only calls made on
/// the test's own thread fail, as if the kernel had returned the errno): ENOSPC, EFBIG and ENOMEM from fallocate,
/// EINTR (retried), EOPNOTSUPP for O_TMPFILE (falls back to mkostemp) and for hole punching (freed space kept),
/// ENOMEM for the address-space reservation and for mmap. Each must end in the documented clean outcome.
/// </summary>
[Collection(ReliabilityResourcesCollection.Name)]
public unsafe class FaultInjectionTests
{
    private const int ENOENT = 2, EINTR = 4, ENOMEM = 12, EACCES = 13, ENOTDIR = 20, EISDIR = 21, EMFILE = 24, EFBIG = 27, ENOSPC = 28, EROFS = 30, ENAMETOOLONG = 36, EOPNOTSUPP = 95;
    private const nuint MiB = 1u << 20;

    /// <summary>Runs <paramref name="action"/> with <paramref name="injector"/> answering this thread's OS calls.</summary>
    private static void With(Func<OsCall, int> injector, Action action)
    {
        Os.FaultInjector = injector;
        try
        {
            action();
        }
        finally
        {
            Os.FaultInjector = null;
        }
    }

    private static Func<OsCall, int> Fail(OsCall call, int errno) => c => c == call ? errno : 0;

    private static PmemKind NewKind(string fs, MemoryUsagePolicy policy = MemoryUsagePolicy.Default, long limit = 0)
        => PmemKind.Create(new PmemConfig(TestDirectories.Get(fs)) { Size = limit, UsagePolicy = policy });

    private static FileMemorySource FileOf(MemoryKind kind) => (FileMemorySource)kind.Source;

    private static void AssertAllocationsFailWith(PmemKind kind, int errno, string what)
    {
        foreach (nuint size in new nuint[] { 100, 4000, 300_000, MiB, 8 * MiB })
        {
            Assert.True(kind.TryAlloc(size) == null, $"{what}: TryAlloc({size}) succeeded.");
            OutOfMemoryException e = Assert.Throws<OutOfMemoryException>(() => kind.Alloc(size));
            Assert.True(e.Message.Contains($"error {errno}:"), $"{what}: the OutOfMemoryException does not name errno {errno}: {e.Message}");
            Assert.True(kind.TryAllocZeroed(1, size) == null, $"{what}: TryAllocZeroed(1, {size}) succeeded.");
            Assert.True(kind.TryAlignedAlloc(size, 4096) == null, $"{what}: TryAlignedAlloc({size}, 4096) succeeded.");
        }
        Assert.Equal(errno, FileOf(kind).LastError);
    }

    private static void AssertWorks(PmemKind kind, string what)
    {
        var blocks = new List<nint>();
        foreach (nuint size in new nuint[] { 100, 4000, 300_000, MiB, 8 * MiB })
        {
            byte* p = (byte*)kind.Alloc(size);
            new Span<byte>(p, (int)size).Fill(0x3C);
            blocks.Add((nint)p);
        }
        kind.Validate();
        foreach (nint p in blocks) kind.Free((void*)p);
        Assert.True(kind.GetStats().Allocated == 0, $"{what}: allocated bytes left.");
        kind.Validate();
    }

    public static TheoryData<string, MemoryUsagePolicy> FileSystemsAndPolicies => new()
    {
        { "ext4", MemoryUsagePolicy.Default }, { "ext4", MemoryUsagePolicy.Conservative },
        { "tmpfs", MemoryUsagePolicy.Default }, { "tmpfs", MemoryUsagePolicy.Conservative },
    };

    /// <summary>ENOSPC, EFBIG and ENOMEM (tmpfs under memory pressure) from fallocate when growing: OutOfMemoryException naming the errno, nothing kept, and the kind works once the fault is gone.</summary>
    [Theory]
    [MemberData(nameof(FileSystemsAndPolicies))]
    public void FallocateFailuresWhenGrowingAreOutOfMemoryAndTheKindRecovers(string fs, MemoryUsagePolicy policy)
    {
        foreach (int errno in new[] { ENOSPC, EFBIG, ENOMEM })
        {
            using PmemKind kind = NewKind(fs, policy);
            string what = $"fallocate failing with {errno} ({fs}, {policy})";
            With(Fail(OsCall.Allocate, errno), () => AssertAllocationsFailWith(kind, errno, what));
            kind.Validate();
            Assert.Equal(0, kind.GetStats().Allocated);
            Assert.True(FileOf(kind).StorageBytes == 0, $"{what}: the file kept {FileOf(kind).StorageBytes} bytes of storage after the failed grows.");
            AssertWorks(kind, what);
        }
    }

    /// <summary>A kind that already holds memory: the fault hits the next grow only; held blocks stay intact and usable.</summary>
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void EnospcWhenGrowingAPopulatedKindKeepsItsBlocks(string fs)
    {
        using PmemKind kind = NewKind(fs);
        var held = new List<nint>();
        for (int i = 0; i < 20; i++)
        {
            byte* p = (byte*)kind.Alloc(100_000);
            new Span<byte>(p, 100_000).Fill((byte)i);
            held.Add((nint)p);
        }
        With(Fail(OsCall.Allocate, ENOSPC), () =>
        {
            // Whatever was grown ahead may still serve a few blocks; then the kind must refuse cleanly.
            int got = 0;
            while (kind.TryAlloc(MiB) is var p && p != null)
            {
                held.Add((nint)p);
                new Span<byte>(p, (int)MiB).Fill(0xEE);
                Assert.True(++got < 1000, "Allocation never failed with fallocate returning ENOSPC.");
            }
            Assert.Throws<OutOfMemoryException>(() => kind.Alloc(MiB));
        });
        for (int i = 0; i < 20; i++) Assert.True(new ReadOnlySpan<byte>((void*)held[i], 100_000).IndexOfAnyExcept((byte)i) < 0, $"Block {i} changed.");
        kind.Validate();
        foreach (nint p in held) kind.Free((void*)p);
        AssertWorks(kind, $"after ENOSPC ({fs})");
    }

    /// <summary>EINTR from fallocate (reserving and punching) and ftruncate is retried until the call succeeds.</summary>
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void EintrIsRetried(string fs)
    {
        // fallocate to grow: interrupted three times, then the kernel's answer.
        using (PmemKind kind = NewKind(fs))
        {
            int calls = 0;
            void* p = null;
            With(c => c == OsCall.Allocate && ++calls <= 3 ? EINTR : 0, () => p = kind.Alloc(MiB));
            Assert.True(calls >= 4, $"fallocate was tried {calls} times; three EINTRs should have been retried.");
            new Span<byte>(p, (int)MiB).Fill(1);
            kind.Free(p);
            kind.Validate();
        }
        // fallocate(PUNCH_HOLE) at a Conservative free: interrupted, retried, and the storage does go back.
        using (PmemKind kind = NewKind(fs, MemoryUsagePolicy.Conservative))
        {
            void* p = kind.Alloc(4 * MiB);
            new Span<byte>(p, (int)(4 * MiB)).Fill(2);
            long held = FileOf(kind).StorageBytes;
            int calls = 0;
            With(c => c == OsCall.PunchHole && ++calls <= 3 ? EINTR : 0, () => kind.Free(p));
            Assert.True(calls >= 4, $"The hole punch was tried {calls} times; three EINTRs should have been retried.");
            long now = FileOf(kind).StorageBytes;
            Assert.True(now <= held - (long)(4 * MiB), $"After an interrupted-then-retried punch the file still holds {now} bytes (held {held}).");
            Assert.True(FileOf(kind).CanDecommit, "EINTR from the hole punch was taken for 'cannot punch'.");
            kind.Validate();
        }
        // ftruncate on the failure path of a grow (the file is cut back to its old size): EINTR retried, still a clean failure.
        using (PmemKind kind = NewKind(fs))
        {
            int truncates = 0;
            With(c => c switch { OsCall.Allocate => ENOSPC, OsCall.Truncate => ++truncates <= 2 ? EINTR : 0, _ => 0 },
                () => Assert.Throws<OutOfMemoryException>(() => kind.Alloc(MiB)));
            kind.Validate();
            AssertWorks(kind, "after ENOSPC + EINTR from ftruncate");
        }
    }

    /// <summary>
    /// O_TMPFILE refused (EOPNOTSUPP, or EISDIR on old kernels): the kind is created with mkostemp, the name is
    /// unlinked at once (nothing visible in the directory), the descriptor is close-on-exec, and it works.
    /// </summary>
    [Theory]
    [InlineData("ext4", EOPNOTSUPP)]
    [InlineData("tmpfs", EOPNOTSUPP)]
    [InlineData("tmpfs", EISDIR)]
    public void WithoutOTmpfileTheKindFallsBackToMkostempAndLeavesNoName(string fs, int errno)
    {
        string dir = Path.Combine(TestDirectories.Get(fs), $"fallback-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            LeakSnapshot before = LeakSnapshot.Take(dir);
            var calls = new List<OsCall>();
            PmemKind? kind = null;
            With(c => { calls.Add(c); return c == OsCall.OpenTempFile ? errno : 0; }, () => kind = PmemKind.Create(dir));
            using (kind)
            {
                Assert.Contains(OsCall.MakeTempFile, calls);
                Assert.Empty(Directory.GetFileSystemEntries(dir));
                int fd = FileOf(kind!).FileDescriptor;
                AssertCloseOnExec(fd);
                Assert.EndsWith("(deleted)", new FileInfo($"/proc/self/fd/{fd}").LinkTarget);
                AssertWorks(kind!, $"mkostemp fallback ({fs}, errno {errno})");
            }
            before.AssertNothingLeft($"A kind created through the mkostemp fallback, after Dispose ({fs})");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void TheNormalDescriptorIsCloseOnExecAndUnnamed(string fs)
    {
        using PmemKind kind = NewKind(fs);
        AssertCloseOnExec(FileOf(kind).FileDescriptor);
        Assert.EndsWith("(deleted)", new FileInfo($"/proc/self/fd/{FileOf(kind).FileDescriptor}").LinkTarget);
    }

    private static void AssertCloseOnExec(int fd)
    {
        string flags = File.ReadAllLines($"/proc/self/fdinfo/{fd}").Single(l => l.StartsWith("flags:")).Split(':')[1].Trim();
        Assert.True((Convert.ToInt32(flags, 8) & 0x80000) != 0, $"The kind's descriptor {fd} is not close-on-exec (flags {flags}): exec'd children would keep the file's space.");
    }

    /// <summary>Each errno from creating the file maps to its documented exception, with or without the fallback, and nothing is left behind.</summary>
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void CreateFailuresAreTypedAndLeaveNothing(string fs)
    {
        string dir = TestDirectories.Get(fs);
        (int Errno, Type Expected)[] cases =
        [
            (ENOENT, typeof(DirectoryNotFoundException)), (ENOTDIR, typeof(DirectoryNotFoundException)),
            (EACCES, typeof(UnauthorizedAccessException)), (EROFS, typeof(UnauthorizedAccessException)),
            (ENAMETOOLONG, typeof(PathTooLongException)), (EMFILE, typeof(IOException)), (ENOSPC, typeof(IOException)),
        ];
        foreach ((int errno, Type expected) in cases)
        {
            foreach (bool viaFallback in new[] { false, true })
            {
                Func<OsCall, int> injector = viaFallback
                    ? c => c == OsCall.OpenTempFile ? EOPNOTSUPP : c == OsCall.MakeTempFile ? errno : 0
                    : c => c == OsCall.OpenTempFile ? errno : 0;
                string what = $"PmemKind.Create with {(viaFallback ? "mkostemp" : "O_TMPFILE")} failing with errno {errno} ({fs})";
                // After O_TMPFILE's EOPNOTSUPP the directory is known to exist, so the fallback's ENOENT means "no files
                // can be made here" (what /proc and /sys answer): an IOException, not DirectoryNotFoundException.
                Type want = viaFallback && errno == ENOENT ? typeof(IOException) : expected;
                LeakSnapshot before = LeakSnapshot.Take(dir);
                Exception? e = null;
                With(injector, () => e = Record.Exception(() => PmemKind.Create(dir).Dispose()));
                Assert.True(e?.GetType() == want, $"{what}: expected {want.Name}, got {e?.GetType().Name ?? "success"}: {e?.Message}");
                Assert.Contains(dir, e!.Message);
                before.AssertNothingLeft(what);
            }
        }
    }

    /// <summary>The file system cannot punch holes (EOPNOTSUPP): freed storage stays with the kind and is reused; memkind aborts here.</summary>
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void WithoutHolePunchingFreedSpaceIsKeptAndReused(string fs)
    {
        using PmemKind kind = NewKind(fs, MemoryUsagePolicy.Conservative, limit: 32L << 20);
        var blocks = new List<nint>();
        for (int i = 0; i < 8; i++)
        {
            void* p = kind.Alloc(2 * MiB);
            new Span<byte>(p, (int)(2 * MiB)).Fill(0xFF);
            blocks.Add((nint)p);
        }
        long held = FileOf(kind).StorageBytes;
        int punches = 0;
        With(c =>
        {
            if (c != OsCall.PunchHole) return 0;
            punches++;
            return EOPNOTSUPP;
        }, () =>
        {
            foreach (nint p in blocks) kind.Free((void*)p);
            kind.Validate();
            Assert.True(punches > 0, "Freeing under the Conservative policy never tried to punch a hole.");
            Assert.False(FileOf(kind).CanDecommit, "After EOPNOTSUPP from the hole punch, the source still claims it can decommit.");
            Assert.True(FileOf(kind).StorageBytes >= held, "Storage went back although punching failed.");
            // The kept storage is reused, and AllocZeroed still gives zeros over the dirty 0xFF bytes.
            var again = new List<nint>();
            for (int i = 0; i < 8; i++)
            {
                byte* p = (byte*)kind.AllocZeroed(1, 2 * MiB);
                Assert.True(new ReadOnlySpan<byte>(p, (int)(2 * MiB)).IndexOfAnyExcept((byte)0) < 0, "AllocZeroed over kept (unpunched) storage is not zero.");
                again.Add((nint)p);
            }
            foreach (nint p in again) kind.Free((void*)p);
            for (int i = 0; i < 2000; i++) kind.Free(kind.Alloc((nuint)(16 + i * 7)));
            kind.Validate();
        });
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    /// <summary>No address space (ENOMEM from the reservation): Create throws OutOfMemoryException and leaves no file, descriptor or name behind.</summary>
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void EnomemReservingAddressSpaceFailsCreateCleanly(string fs)
    {
        string dir = TestDirectories.Get(fs);
        try { With(Fail(OsCall.Reserve, ENOMEM), () => PmemKind.Create(dir).Dispose()); } catch (OutOfMemoryException) { }
        LeakSnapshot before = LeakSnapshot.Take(dir);
        int live = Engine.KindRegistry.LiveCount;
        Exception? e = null;
        With(Fail(OsCall.Reserve, ENOMEM), () => e = Record.Exception(() => PmemKind.Create(dir).Dispose()));
        Assert.True(e is OutOfMemoryException, $"Create with no address space: expected OutOfMemoryException, got {e?.GetType().Name ?? "success"}: {e?.Message}");
        before.AssertNothingLeft("The create that found no address space");
        Assert.Equal(live, Engine.KindRegistry.LiveCount);
        using PmemKind kind = PmemKind.Create(dir);
        AssertWorks(kind, "a kind created after the failure");
    }

    /// <summary>An unlimited kind that needs a second region and gets no address space: OutOfMemoryException; the first region keeps working.</summary>
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void EnomemReservingAnotherRegionIsAnOutOfMemory(string fs)
    {
        using PmemKind kind = NewKind(fs);
        void* small = kind.Alloc(1000);
        With(Fail(OsCall.Reserve, ENOMEM), () =>
        {
            Assert.Throws<OutOfMemoryException>(() => kind.Alloc(100 * MiB));
            // Without new address space, a 256 MiB alignment can only be met inside the first (64 MiB) region, when its
            // base happens to allow it: then the block must be aligned and lie in that region; otherwise null.
            void* aligned = kind.TryAlignedAlloc(64, (nuint)1 << 28);
            if (aligned != null)
            {
                Assert.True(((nuint)aligned & (((nuint)1 << 28) - 1)) == 0, "A 256 MiB-aligned allocation is misaligned.");
                Assert.True((nuint)Math.Abs((long)aligned - (long)small) < 64 * MiB, "An alignment beyond the first region succeeded without address space.");
                kind.Free(aligned);
            }
            kind.Free(kind.Alloc(MiB));
        });
        kind.Validate();
        void* big = kind.Alloc(100 * MiB);
        ((byte*)big)[100 * MiB - 1] = 1;
        kind.Free(big);
        kind.Free(small);
        kind.Validate();
    }

    /// <summary>mmap of the file range fails (ENOMEM, e.g. vm.max_map_count): OutOfMemoryException, and the storage reserved for it is given back.</summary>
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void MapFailureIsAnOutOfMemoryAndTheStorageGoesBack(string fs)
    {
        using PmemKind kind = NewKind(fs);
        With(Fail(OsCall.MapFile, ENOMEM), () => AssertAllocationsFailWith(kind, ENOMEM, $"mmap failing with ENOMEM ({fs})"));
        Assert.True(FileOf(kind).StorageBytes == 0, $"After failed mmaps the file holds {FileOf(kind).StorageBytes} bytes of storage.");
        kind.Validate();
        AssertWorks(kind, $"after mmap failures ({fs})");
    }

    /// <summary>A punched range reserved again (fallocate KEEP_SIZE) when there is no space: OutOfMemoryException, never a SIGBUS on touch.</summary>
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void EnospcReservingAPunchedRangeAgainIsAnOutOfMemory(string fs)
    {
        using PmemKind kind = NewKind(fs, MemoryUsagePolicy.Conservative, limit: PmemKind.MinSize);
        void* p = kind.Alloc(4 * MiB);
        new Span<byte>(p, (int)(4 * MiB)).Fill(9);
        kind.Free(p);
        Assert.True(FileOf(kind).StorageBytes < (long)(4 * MiB), "The Conservative free did not punch the range; nothing to re-reserve.");
        With(Fail(OsCall.Allocate, ENOSPC), () => AssertAllocationsFailWith(kind, ENOSPC, $"re-reserving punched ranges with ENOSPC ({fs})"));
        kind.Validate();
        byte* q = (byte*)kind.Alloc(4 * MiB);
        new Span<byte>(q, (int)(4 * MiB)).Fill(10);
        kind.Free(q);
        kind.Validate();
    }
}
