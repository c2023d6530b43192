using static MemoryKinds.Tests.Conformance.MemkindConformance;

namespace MemoryKinds.Tests.Conformance;

/// <summary>
/// Ports of memkind's test/memkind_pmem_tests.cpp (fixture MemkindPmemTests: an 18 MiB kind, PMEM_PART_SIZE, created
/// before and destroyed after every test; here on tmpfs). Test names drop memkind's "test_TC_MEMKIND_" prefix.
/// The heavier ports live in <see cref="MemkindPmemFillConformanceTests"/>, <see cref="MemkindPmemKindLoopConformanceTests"/>
/// and <see cref="MemkindPmemFileSpaceConformanceTests"/> so that xunit can run them side by side.
/// Not ported:
/// <list type="bullet">
/// <item>PmemCheckDaxSuccess: needs DAX hardware (memkind_check_dax_path on a DAX mount); the test directories are not DAX.</item>
/// <item>PmemDestroyKindArenaZero: reads kind->arena_zero, a jemalloc arena index; this library has no arenas or equivalent index.</item>
/// </list>
/// </summary>
public sealed unsafe class MemkindPmemConformanceTests : IDisposable
{
    private readonly PmemKind _kind = PmemKind.Create(TestDirectories.Tmpfs, PmemPartSize);

    public void Dispose() => _kind.Dispose();

    // memkind PmemPriv: reads priv->max_size/offset; adapted to the public MaxSize, Capacity, StorageBytes and stats (no private struct here).
    [Fact]
    public void PmemPriv()
    {
        Assert.Equal(18 * MB, _kind.MaxSize);
        Assert.Equal((PmemPartSize + PmemKind.ChunkSize - 1) / PmemKind.ChunkSize * PmemKind.ChunkSize, _kind.MaxSize);
        Assert.Equal(_kind.MaxSize, _kind.Capacity);
        long used = _kind.Source.StorageBytes;
        Assert.InRange(used, 0, PmemKind.ChunkSize - 1);
        Assert.True(used < _kind.MaxSize);
        KindStats stats = _kind.GetStats();
        Assert.True(stats.Resident < PmemKind.ChunkSize, $"A fresh kind already holds {stats.Resident} resident bytes.");
    }

    // memkind PmemCreatePmemFailNonExistingDirectory: MEMKIND_ERROR_INVALID + errno ENOENT -> DirectoryNotFoundException.
    [Fact]
    public void PmemCreatePmemFailNonExistingDirectory()
    {
        PmemKind? kind = null;
        Assert.Throws<DirectoryNotFoundException>(() => kind = PmemKind.Create(MissingDirectory, PmemKind.MinSize));
        Assert.Null(kind);
    }

    // memkind PmemCheckDaxNonExistingPath: memkind_check_dax_path -> PmemKind.IsDax; MEMKIND_ERROR_RUNTIME + ENOENT -> DirectoryNotFoundException.
    [Fact]
    public void PmemCheckDaxNonExistingPath()
    {
        Assert.Throws<DirectoryNotFoundException>(() => PmemKind.IsDax(MissingDirectory));
    }

    // memkind PmemCheckDaxFailNonDaxPath: MEMKIND_ERROR_MMAP/EOPNOTSUPP on /tmp -> IsDax false; run on both test file systems (neither is DAX).
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void PmemCheckDaxFailNonDaxPath(string fileSystem)
    {
        string directory = TestDirectories.Get(fileSystem);
        Assert.False(PmemKind.IsDax(directory), $"{directory} ({fileSystem}) reported as DAX.");
        using PmemKind kind = PmemKind.Create(directory, PmemKind.MinSize);
        Assert.False(kind.IsDaxBacked);
    }

    // memkind PmemMallocFragmentation: 16 MiB kind, 1000 x malloc/free of 11 sizes (10 B .. 4 MB); every malloc must succeed.
    [Fact]
    public void PmemMallocFragmentation()
    {
        nuint[] sizes = [10, 100, 200, 500, 1000, 2000, 3000, (nuint)MB, (nuint)(2 * MB), (nuint)(3 * MB), (nuint)(4 * MB)];
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize);
        for (int iteration = 0; iteration < 1000; iteration++)
        {
            foreach (nuint size in sizes)
            {
                void* p = kind.TryAlloc(size);
                Assert.True(p != null, $"Iteration {iteration}: malloc of {size} bytes failed in a 16 MiB kind after only malloc/free pairs.");
                kind.Free(p);
            }
        }
    }

    // memkind PmemCreatePmemFailWritePermissionIssue: dir without S_IWUSR -> EACCES -> UnauthorizedAccessException; as root (where memkind's test fails) the create runs on a thread with fsuid 65534.
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void PmemCreatePmemFailWritePermissionIssue()
    {
        string directory = Path.Combine(TestDirectories.Ext4, "tmpdir." + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(directory);
        try
        {
            // memkind clears S_IWUSR only; as fsuid 65534 the "other" bits apply, so clear every write bit.
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            PmemKind? kind = null;
            Action create = () => Assert.Throws<UnauthorizedAccessException>(() => kind = PmemKind.Create(directory, PmemKind.MinSize));
            if (IsRoot) RunWithFsUid(65534, create);
            else create();
            Assert.Null(kind);
        }
        finally
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.Delete(directory);
        }
    }

    // memkind PmemMalloc: 1 KiB malloc + string write; malloc(2 * PMEM_PART_SIZE) NULL -> TryAlloc null, Alloc throws OutOfMemoryException.
    [Fact]
    public void PmemMalloc()
    {
        void* p = _kind.Alloc((nuint)KB);
        Assert.True(p != null);
        WriteString(p, "memkind_malloc MEMKIND_PMEM");
        Assert.Equal("memkind_malloc MEMKIND_PMEM", ReadString(p));
        _kind.Free(p);

        Assert.True(_kind.TryAlloc((nuint)(2 * PmemPartSize)) == null);
        Assert.Throws<OutOfMemoryException>(() => { _kind.Alloc((nuint)(2 * PmemPartSize)); });
    }

    // memkind PmemMallocZero: memkind returns NULL; here Alloc(0) returns a unique, freeable block (project rule).
    [Fact]
    public void PmemMallocZero()
    {
        void* a = _kind.Alloc(0);
        void* b = _kind.TryAlloc(0);
        Assert.True(a != null && b != null, "Alloc(0) must return a block.");
        Assert.True(a != b, "Two zero-byte blocks share an address.");
        Assert.Same(_kind, MemoryKind.Detect(a));
        _kind.Free(a);
        _kind.Free(b);
    }

    // memkind PmemMallocSizeMax: malloc(SIZE_MAX) NULL + ENOMEM -> TryAlloc null, Alloc throws OutOfMemoryException.
    [Fact]
    public void PmemMallocSizeMax()
    {
        Assert.True(_kind.TryAlloc(nuint.MaxValue) == null);
        Assert.Throws<OutOfMemoryException>(() => { _kind.Alloc(nuint.MaxValue); });
    }

    // memkind PmemCallocSmallClassMultipleTimes: 100 x calloc(1, 1 KiB) fully zeroed, written, freed.
    [Fact]
    public void PmemCallocSmallClassMultipleTimes()
    {
        const nuint size = 1024;
        for (int i = 0; i < 100; i++)
        {
            void* p = _kind.AllocZeroed(1, size);
            Assert.True(p != null);
            Assert.True(AllBytesAre(p, size, 0), $"Round {i}: calloc'd 1 KiB block is not zeroed.");
            FillBytes(p, size, 0x5A);
            _kind.Free(p);
        }
    }

    // memkind PmemCallocZero (params (10,0), (0,0), (0,10)): memkind returns NULL; here a zero-byte product gives a unique, freeable block like Alloc(0).
    [Theory]
    [InlineData(10, 0)]
    [InlineData(0, 0)]
    [InlineData(0, 10)]
    public void PmemCallocZero(int count, int size)
    {
        void* a = _kind.AllocZeroed((nuint)count, (nuint)size);
        void* b = _kind.TryAllocZeroed((nuint)count, (nuint)size);
        Assert.True(a != null && b != null, $"AllocZeroed({count}, {size}) must return a block.");
        Assert.True(a != b);
        _kind.Free(a);
        _kind.Free(b);
    }

    // memkind PmemCallocSizeMax: calloc(SIZE_MAX, 1) NULL + ENOMEM (its unused gtest parameter ran it 3 times; once here).
    [Fact]
    public void PmemCallocSizeMax()
    {
        Assert.True(_kind.TryAllocZeroed(nuint.MaxValue, 1) == null);
        Assert.Throws<OutOfMemoryException>(() => { _kind.AllocZeroed(nuint.MaxValue, 1); });
    }

    // memkind PmemCallocNumMax: calloc(10, SIZE_MAX) NULL + ENOMEM; also the products that wrap to 0 and 5, which memkind gets wrong (research §2.4).
    [Fact]
    public void PmemCallocNumMax()
    {
        Assert.True(_kind.TryAllocZeroed(10, nuint.MaxValue) == null);
        Assert.Throws<OutOfMemoryException>(() => { _kind.AllocZeroed(10, nuint.MaxValue); });
        Assert.True(_kind.TryAllocZeroed(4, nuint.MaxValue / 4 + 1) == null, "calloc(4, SIZE_MAX/4 + 1) overflows and must fail.");
        Assert.True(_kind.TryAllocZeroed(3, nuint.MaxValue / 3 + 2) == null, "calloc(3, SIZE_MAX/3 + 2) overflows and must fail.");
    }

    // memkind PmemCallocHugeClassMultipleTimes: 100 x calloc(1, 2 MiB) in the 18 MiB kind, each fully zeroed; each block is dirtied before free so reuse must re-zero.
    [Fact]
    public void PmemCallocHugeClassMultipleTimes()
    {
        nuint size = (nuint)PmemKind.ChunkSize;
        for (int i = 0; i < 100; i++)
        {
            void* p = _kind.AllocZeroed(1, size);
            Assert.True(p != null);
            Assert.True(AllBytesAre(p, size, 0), $"Round {i}: calloc'd 2 MiB block is not zeroed.");
            FillBytes(p, size, 0xA5);
            _kind.Free(p);
        }
    }

    // memkind PmemRealloc: realloc(NULL, 512) then realloc to 1 KiB, both non-NULL; also checks the first string survives the move.
    [Fact]
    public void PmemRealloc()
    {
        void* p = _kind.TryRealloc(null, 512);
        Assert.True(p != null);
        WriteString(p, "memkind_realloc MEMKIND_PMEM with size 512");
        p = _kind.Realloc(p, (nuint)KB);
        Assert.True(p != null);
        Assert.Equal("memkind_realloc MEMKIND_PMEM with size 512", ReadString(p));
        WriteString(p, "memkind_realloc MEMKIND_PMEM with size 1024");
        Assert.Equal("memkind_realloc MEMKIND_PMEM with size 1024", ReadString(p));
        _kind.Free(p);
    }

    // memkind PmemMallocUsableSize: memkind's spacing table as upper bounds, tightened by this library's classes (waste <= max(12.5%, 16 B) up to 1 MiB, < 64 KiB above); NULL kind -> MemoryKind.Detect(p).
    [Fact]
    public void PmemMallocUsableSize()
    {
        (nuint Size, nuint Spacing)[] checks =
        [
            (10, 8), (100, 16), (200, 32), (500, 64), (1000, 128), (2000, 256), (3000, 512),
            ((nuint)MB, (nuint)(4 * MB)), ((nuint)(2 * MB), (nuint)(4 * MB)), ((nuint)(3 * MB), (nuint)(4 * MB)), ((nuint)(4 * MB), (nuint)(4 * MB)),
        ];
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize);
        Assert.Equal(0u, kind.GetUsableSize(null));
        Assert.Equal(0u, MemoryKind.Default.GetUsableSize(null));
        foreach ((nuint size, nuint spacing) in checks)
        {
            void* p = kind.TryAlloc(size);
            Assert.True(p != null, $"malloc({size}) failed in a 16 MiB kind.");
            nuint usable = kind.GetUsableSize(p);
            MemoryKind? owner = MemoryKind.Detect(p);
            Assert.Same(kind, owner);
            Assert.Equal(usable, owner!.GetUsableSize(p));
            Assert.True(usable >= size, $"usable size {usable} < requested {size}.");
            nuint waste = usable - size;
            Assert.True(waste <= spacing, $"usable size {usable} of a {size}-byte request exceeds memkind's spacing {spacing}.");
            nuint bound = size <= (nuint)MB ? Math.Max(size / 8, 16) : (nuint)(64 * KB) - 1;
            Assert.True(waste <= bound, $"usable size {usable} of a {size}-byte request wastes {waste} bytes, more than this library's bound {bound}.");
            kind.Free(p);
        }
    }

    // memkind PmemResize [J]: in the 18 MiB kind, 16 MiB (= MaxSize - 2 MiB, what this library guarantees) fits; memkind's "2 MiB more does NOT fit" relies on jemalloc padding, so here only the limit is checked; unlimited kind takes both; MIN-1 -> ArgumentOutOfRangeException.
    [Fact]
    public void PmemResize()
    {
        nuint big = (nuint)(_kind.MaxSize - 2 * MB), chunk = (nuint)PmemKind.ChunkSize;
        Assert.Equal((nuint)PmemKind.MinSize, big);
        void* p = _kind.TryAlloc(big);
        Assert.True(p != null, $"An empty {_kind.MaxSize}-byte kind refused {big} bytes.");
        void* q = _kind.TryAlloc(chunk);
        Assert.True(_kind.Source.StorageBytes <= _kind.MaxSize, $"The kind's file holds {_kind.Source.StorageBytes} bytes, more than MaxSize {_kind.MaxSize}.");
        Assert.True(_kind.TryAlloc(big) == null, "A second 16 MiB block fitted in an 18 MiB kind.");
        _kind.Free(p);
        _kind.Free(q);

        using (PmemKind unlimited = PmemKind.Create(TestDirectories.Tmpfs, 0))
        {
            void* a = unlimited.TryAlloc((nuint)PmemKind.MinSize);
            void* b = unlimited.TryAlloc(chunk);
            Assert.True(a != null && b != null, "An unlimited kind refused 16 MiB + 2 MiB.");
            unlimited.Free(a);
            unlimited.Free(b);
        }

        PmemKind? impossible = null;
        Assert.Throws<ArgumentOutOfRangeException>(() => impossible = PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize - 1));
        Assert.Null(impossible);
    }

    // memkind PmemReallocZero: memkind frees and returns NULL; here Realloc(p, 0) returns a live, freeable block (project rule).
    [Fact]
    public void PmemReallocZero()
    {
        void* p = _kind.Alloc((nuint)KB);
        void* q = _kind.Realloc(p, 0);
        Assert.True(q != null, "Realloc(p, 0) must return a block.");
        Assert.Same(_kind, MemoryKind.Detect(q));
        _kind.Free(q);
    }

    // memkind PmemReallocSizeMax: realloc(p, SIZE_MAX) NULL + ENOMEM and p still valid -> TryRealloc null, Realloc throws, contents intact, p freeable.
    [Fact]
    public void PmemReallocSizeMax()
    {
        void* p = _kind.Alloc((nuint)KB);
        FillBytes(p, (nuint)KB, 0x3C);
        Assert.True(_kind.TryRealloc(p, nuint.MaxValue) == null);
        Assert.Throws<OutOfMemoryException>(() => { _kind.Realloc(p, nuint.MaxValue); });
        Assert.True(AllBytesAre(p, (nuint)KB, 0x3C), "A failed realloc changed the block.");
        _kind.Free(p);
    }

    // memkind PmemReallocSizeZero: 100 x {malloc 1 KiB; realloc(p, 0) NULL, errno 0}; here the result is a live block, freed each round.
    [Fact]
    public void PmemReallocSizeZero()
    {
        for (int i = 0; i < 100; i++)
        {
            void* p = _kind.Alloc((nuint)KB);
            void* q = _kind.Realloc(p, 0);
            Assert.True(q != null, $"Round {i}: Realloc(p, 0) returned null.");
            _kind.Free(q);
        }
    }

    // memkind PmemReallocPtrCheck: 1 MiB block, realloc to PMEM_PART_SIZE fails (NULL), block valid and unchanged. Adapted: this library can grow the block in place (16 MiB + 4 KiB fits an 18 MiB kind), which jemalloc cannot, so a 2 MiB block is held too and the grown block cannot fit by any means.
    [Fact]
    public void PmemReallocPtrCheck()
    {
        nuint size = (nuint)MB;
        void* p = _kind.Alloc(size);
        void* other = _kind.Alloc((nuint)(2 * MB));
        FillBytes(p, size, 0x77);
        void* copy = p;
        Assert.True(_kind.TryRealloc(p, (nuint)PmemPartSize) == null, "An 18 MiB kind holding 1 MiB + 2 MiB grew the 1 MiB block to 16 MiB + 4 KiB.");
        Assert.True(p == copy);
        Assert.True(AllBytesAre(p, size, 0x77), "A failed realloc changed the block.");
        Assert.Equal(size, _kind.GetUsableSize(p));
        _kind.Free(p);
        _kind.Free(other);
    }

    // memkind PmemReallocNullptr: realloc(NULL, 1 KiB) allocates.
    [Fact]
    public void PmemReallocNullptr()
    {
        void* p = _kind.TryRealloc(null, (nuint)KB);
        Assert.True(p != null);
        Assert.True(_kind.GetUsableSize(p) >= (nuint)KB);
        _kind.Free(p);
    }

    // memkind PmemReallocNullptrSizeMax: realloc(NULL, SIZE_MAX) NULL -> TryRealloc null, Realloc throws OutOfMemoryException.
    [Fact]
    public void PmemReallocNullptrSizeMax()
    {
        Assert.True(_kind.TryRealloc(null, nuint.MaxValue) == null);
        Assert.Throws<OutOfMemoryException>(() => { _kind.Realloc(null, nuint.MaxValue); });
    }

    // memkind PmemReallocNullptrZero: realloc(NULL, 0) = malloc(0), NULL in memkind; here a unique freeable block like Alloc(0).
    [Fact]
    public void PmemReallocNullptrZero()
    {
        void* p = _kind.Realloc(null, 0);
        Assert.True(p != null, "Realloc(null, 0) must return a block, as Alloc(0) does.");
        _kind.Free(p);
    }

    // memkind PmemReallocIncreaseSize: 1 KiB -> 2 KiB keeps the string.
    [Fact]
    public void PmemReallocIncreaseSize()
    {
        const string value = "test_TC_MEMKIND_PmemReallocIncreaseSize";
        void* p = _kind.Alloc((nuint)KB);
        WriteString(p, value);
        void* q = _kind.Realloc(p, (nuint)(2 * KB));
        Assert.True(q != null);
        Assert.Equal(value, ReadString(q));
        _kind.Free(q);
    }

    // memkind PmemReallocIncreaseSizeNullKindVariant: memkind_realloc(NULL, p, n) -> MemoryKind.Detect(p).Realloc (no static realloc here).
    [Fact]
    public void PmemReallocIncreaseSizeNullKindVariant()
    {
        const string value = "test_TC_MEMKIND_PmemReallocIncreaseSizeNullKindVariant";
        void* p = _kind.Alloc((nuint)KB);
        WriteString(p, value);
        MemoryKind? owner = MemoryKind.Detect(p);
        Assert.Same(_kind, owner);
        void* q = owner!.Realloc(p, (nuint)(2 * KB));
        Assert.True(q != null);
        Assert.Equal(value, ReadString(q));
        Assert.Same(_kind, MemoryKind.Detect(q));
        MemoryKind.FreeAny(q);
    }

    // memkind PmemReallocDecreaseSize: 1 KiB -> 4 bytes keeps the first 4 bytes.
    [Fact]
    public void PmemReallocDecreaseSize()
    {
        const string value = "test_TC_MEMKIND_PmemReallocDecreaseSize";
        void* p = _kind.Alloc((nuint)KB);
        WriteString(p, value);
        byte* q = (byte*)_kind.Realloc(p, 4);
        Assert.True(q != null);
        Assert.Equal(value[..4], new string([(char)q[0], (char)q[1], (char)q[2], (char)q[3]]));
        _kind.Free(q);
    }

    // memkind PmemReallocDecreaseSizeNullKindVariant: NULL kind -> MemoryKind.Detect(p).Realloc, freed with FreeAny.
    [Fact]
    public void PmemReallocDecreaseSizeNullKindVariant()
    {
        const string value = "test_TC_MEMKIND_PmemReallocDecreaseSizeNullKindVariant";
        void* p = _kind.Alloc((nuint)KB);
        WriteString(p, value);
        byte* q = (byte*)MemoryKind.Detect(p)!.Realloc(p, 4);
        Assert.True(q != null);
        Assert.Equal(value[..4], new string([(char)q[0], (char)q[1], (char)q[2], (char)q[3]]));
        MemoryKind.FreeAny(q);
    }

    // memkind PmemReallocInPlace [J]: same sequence (10 MiB -> 6 -> 10 -> 8 in place, 4 MiB, both to 16 B, then 5 MiB); this library resizes large blocks in place (tail slices given back / following free span taken), and a large block shrunk to 16 B moves to a small page.
    [Fact]
    public void PmemReallocInPlace()
    {
        void* p = _kind.TryAlloc((nuint)(10 * MB));
        Assert.True(p != null);
        Assert.True(_kind.Realloc(p, (nuint)(6 * MB)) == p, "10 MiB -> 6 MiB moved the block.");
        Assert.True(_kind.Realloc(p, (nuint)(10 * MB)) == p, "6 MiB -> 10 MiB moved the block.");
        Assert.True(_kind.Realloc(p, (nuint)(8 * MB)) == p, "10 MiB -> 8 MiB moved the block.");

        void* q = _kind.TryAlloc((nuint)(4 * MB));
        Assert.True(q != null, "4 MiB did not fit next to an 8 MiB block in an 18 MiB kind.");
        void* q16 = _kind.TryRealloc(q, 16);
        Assert.True(q16 != null);
        void* p16 = _kind.TryRealloc(p, 16);
        Assert.True(p16 != null);
        Assert.True(p16 != p, "8 MiB -> 16 B stayed in the large block.");

        void* r = _kind.TryAlloc((nuint)(5 * MB));
        Assert.True(r != null, "5 MiB did not fit after both large blocks shrank to 16 B.");
        _kind.Free(p16);
        _kind.Free(q16);
        _kind.Free(r);
    }

    // memkind PmemFreeNullptr [T]: memkind_free(kind, NULL) in a loop for 5 s -> 0.5 s, with both Free(null) and FreeAny(null).
    [Fact]
    public void PmemFreeNullptr()
    {
        RunTimed(() =>
        {
            _kind.Free(null);
            MemoryKind.FreeAny(null);
        });
    }

    // memkind PmemReallocNullptrSizeZero [T]: realloc(kind, NULL, 0) NULL for 5 s -> 0.5 s; here each call gives a block (= Alloc(0)), freed again.
    [Fact]
    public void PmemReallocNullptrSizeZero()
    {
        RunTimed(() =>
        {
            void* p = _kind.Realloc(null, 0);
            Assert.True(p != null);
            _kind.Free(p);
        });
    }

    // memkind PmemReallocNullKindSizeZero [T]: 5 s of {malloc 1 KiB; memkind_realloc(NULL, p, 0)} -> 0.5 s with Detect(p).Realloc(p, 0), result freed via FreeAny.
    [Fact]
    public void PmemReallocNullKindSizeZero()
    {
        RunTimed(() =>
        {
            void* p = _kind.Alloc((nuint)KB);
            Assert.True(p != null);
            void* q = MemoryKind.Detect(p)!.Realloc(p, 0);
            Assert.True(q != null);
            MemoryKind.FreeAny(q);
        });
    }

    // memkind PmemPosixMemalignWrongAlignmentLessThanVoidAndNotPowerOfTwo: alignment 3 -> EINVAL -> ArgumentException (also 0).
    [Fact]
    public void PmemPosixMemalignWrongAlignmentLessThanVoidAndNotPowerOfTwo()
    {
        Assert.Throws<ArgumentException>(() => { _kind.TryAlignedAlloc(32, 3); });
        Assert.Throws<ArgumentException>(() => { _kind.AlignedAlloc(32, 3); });
        Assert.Throws<ArgumentException>(() => { _kind.TryAlignedAlloc(32, 0); });
    }

    // memkind PmemPosixMemalignWrongAlignmentLessThanVoidAndPowerOfTwo: alignment sizeof(void*)/2 is EINVAL in memkind but valid here (1, 2, 4 are allowed).
    [Fact]
    public void PmemPosixMemalignWrongAlignmentLessThanVoidAndPowerOfTwo()
    {
        foreach (nuint alignment in new nuint[] { (nuint)sizeof(void*) / 2, 2, 1 })
        {
            void* p = _kind.AlignedAlloc(32, alignment);
            Assert.True(p != null);
            Assert.Equal(0u, (nuint)p & (alignment - 1));
            Assert.True(_kind.GetUsableSize(p) >= 32);
            _kind.Free(p);
        }
    }

    // memkind PmemPosixMemalignWrongAlignmentNotPowerOfTwo: alignment sizeof(void*)+1 -> ArgumentException.
    [Fact]
    public void PmemPosixMemalignWrongAlignmentNotPowerOfTwo()
    {
        nuint alignment = (nuint)sizeof(void*) + 1;
        Assert.Throws<ArgumentException>(() => { _kind.TryAlignedAlloc(32, alignment); });
        Assert.Throws<ArgumentException>(() => { _kind.AlignedAlloc(32, alignment); });
    }

    // memkind PmemPosixMemalignLowestCorrectAlignment: alignment sizeof(void*), 32 bytes -> aligned block.
    [Fact]
    public void PmemPosixMemalignLowestCorrectAlignment()
    {
        nuint alignment = (nuint)sizeof(void*);
        void* p = _kind.AlignedAlloc(32, alignment);
        Assert.True(p != null);
        Assert.Equal(0u, (nuint)p & (alignment - 1));
        _kind.Free(p);
    }

    // memkind PmemPosixMemalignSizeZero: memkind returns 0 with *memptr NULL; here size 0 gives a unique aligned block like Alloc(0).
    [Fact]
    public void PmemPosixMemalignSizeZero()
    {
        nuint alignment = (nuint)sizeof(void*);
        void* a = _kind.AlignedAlloc(0, alignment);
        void* b = _kind.TryAlignedAlloc(0, alignment);
        Assert.True(a != null && b != null, "AlignedAlloc(0, 8) must return a block.");
        Assert.True(a != b);
        Assert.Equal(0u, (nuint)a & (alignment - 1));
        _kind.Free(a);
        _kind.Free(b);
    }

    // memkind PmemPosixMemalignSizeMax: ENOMEM (errno untouched) -> TryAlignedAlloc null, AlignedAlloc throws OutOfMemoryException.
    [Fact]
    public void PmemPosixMemalignSizeMax()
    {
        Assert.True(_kind.TryAlignedAlloc(nuint.MaxValue, 64) == null);
        Assert.Throws<OutOfMemoryException>(() => { _kind.AlignedAlloc(nuint.MaxValue, 64); });
    }

    // memkind PmemPosixMemalign: for 1 KiB..128 KiB alignments, 10 x fill the kind with sizeof(int*) aligned blocks, write/read each, check alignment; plus memkind's mis-alignment bug case (32 MiB alignment in an 18 MiB kind must be null or aligned, §2.4).
    [Fact]
    public void PmemPosixMemalign()
    {
        const int testValue = 123456;
        var blocks = new List<nuint>();
        var distinct = new HashSet<nuint>();
        for (nuint alignment = (nuint)KB; alignment <= (nuint)(128 * KB); alignment *= 2)
        {
            for (int loop = 0; loop < 10; loop++)
            {
                while (true)
                {
                    void* p = _kind.TryAlignedAlloc((nuint)sizeof(int*), alignment);
                    if (p == null) break;
                    blocks.Add((nuint)p);
                    *(int*)p = testValue;
                    Assert.Equal(testValue, *(int*)p);
                    Assert.True(((nuint)p & (alignment - 1)) == 0, $"0x{(nuint)p:x} is not aligned to {alignment}.");
                    Assert.True(distinct.Add((nuint)p), $"0x{(nuint)p:x} was handed out twice.");
                }
                Assert.NotEmpty(blocks);
                // Storage is reserved per OS page, so more blocks fit than MaxSize / alignment; never more storage than MaxSize.
                Assert.True(_kind.GetStats().Resident <= _kind.MaxSize, $"{blocks.Count} blocks aligned to {alignment} hold {_kind.GetStats().Resident} bytes, more than MaxSize.");
                distinct.Clear();
                FreeAll(_kind, blocks);
            }
        }

        nuint huge = (nuint)(32 * MB);
        void* h = _kind.TryAlignedAlloc(64, huge);
        if (h != null)
        {
            Assert.True(((nuint)h & (huge - 1)) == 0, $"0x{(nuint)h:x} is not aligned to 32 MiB.");
            _kind.Free(h);
        }
    }

    // memkind PmemMultithreads: 10 threads x 3 pools each: create an 18 MiB kind, malloc 8 bytes, free, destroy.
    [Fact]
    public void PmemMultithreads()
    {
        RunThreadsTogether(10, _ =>
        {
            for (int pool = 0; pool < 3; pool++)
            {
                using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, PmemPartSize);
                void* p = kind.TryAlloc((nuint)sizeof(void*));
                Assert.True(p != null);
                kind.Free(p);
            }
        });
    }

    // memkind PmemDestroyKind [I]: memkind checks a recreated kind reuses the destroyed kind's name (derived from its fd, racy with parallel tests here); adapted: names are unique among live kinds, and a destroyed kind's name is free for reuse (checked with named custom kinds).
    [Fact]
    public void PmemDestroyKind()
    {
        PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize).Dispose();
        var kinds = new PmemKind[10];
        for (int i = 0; i < kinds.Length; i++) kinds[i] = PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize);
        try
        {
            Assert.Equal(kinds.Length, kinds.Select(k => k.Name).Distinct().Count());
            kinds[5].Dispose();
            kinds[6].Dispose();
            Assert.True(kinds[5].IsDisposed && kinds[6].IsDisposed);
            kinds[5] = PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize);
            Assert.Equal(9, kinds.Where((k, i) => i != 6).Select(k => k.Name).Distinct().Count());

            string name = "memkind-conformance-" + Guid.NewGuid().ToString("N");
            MemoryKind first = MemoryKind.Create(name, new AnonymousMemorySource());
            Assert.Throws<ArgumentException>(() => { MemoryKind.Create(name, new AnonymousMemorySource()).Dispose(); });
            first.Dispose();
            using MemoryKind second = MemoryKind.Create(name, new AnonymousMemorySource());
            Assert.Equal(name, second.Name);
        }
        finally
        {
            foreach (PmemKind kind in kinds) kind.Dispose();
        }
    }

    // memkind PmemFreeUsingNullptrInsteadOfKind: 10 x 18 MiB kinds filled with 1 KiB; memkind_free(NULL, vec[5][5]) -> FreeAny; only kind 5 takes one more 1 KiB block.
    [Fact]
    public void PmemFreeUsingNullptrInsteadOfKind()
    {
        var kinds = new PmemKind[10];
        var blocks = new List<nuint>[10];
        try
        {
            for (int i = 0; i < kinds.Length; i++) kinds[i] = PmemKind.Create(TestDirectories.Tmpfs, PmemPartSize);
            for (int i = 0; i < kinds.Length; i++)
            {
                blocks[i] = FillUntilFull(kinds[i], (nuint)KB);
                Assert.True(blocks[i].Count > 5);
            }

            MemoryKind.FreeAny((void*)blocks[5][5]);
            for (int i = 0; i < kinds.Length; i++)
            {
                void* p = kinds[i].TryAlloc((nuint)KB);
                if (i == 5)
                {
                    Assert.True(p != null, "Kind 5 could not reuse the block freed with FreeAny.");
                    blocks[5][5] = (nuint)p;
                }
                else
                {
                    Assert.True(p == null, $"Full kind {i} accepted another 1 KiB block after a block of kind 5 was freed.");
                }
            }
            for (int i = 0; i < kinds.Length; i++) FreeAll(kinds[i], blocks[i]);
        }
        finally
        {
            foreach (PmemKind? kind in kinds) kind?.Dispose();
        }
    }

    // memkind PmemCheckExtentDalloc [I][E]: DEFAULT policy, 10,000 x malloc(32) then free; the file's st_blocks (StorageBytes) must eventually drop. memkind sleeps 2 s per round (10 rounds); here one round and a poll of up to 12 s (the policy promises "within 10 s").
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void PmemCheckExtentDalloc(string fileSystem)
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Get(fileSystem), PmemPartSize);
        List<nuint> blocks = FillUntilFull(kind, 32, 10_000);
        Assert.NotEmpty(blocks);
        long initial = kind.Source.StorageBytes;
        Assert.True(initial > 0, $"The kind's file holds {initial} bytes with {blocks.Count} blocks allocated.");
        FreeAll(kind, blocks);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long now = kind.Source.StorageBytes;
        while (now >= initial && clock.Elapsed < TimeSpan.FromSeconds(12))
        {
            Thread.Sleep(50);
            now = kind.Source.StorageBytes;
        }
        Assert.True(now < initial, $"{fileSystem}: the file still holds {now} bytes (was {initial}) {clock.Elapsed.TotalSeconds:F1} s after every block was freed.");
    }

    // memkind MEMKINDPmemDefragreallocate_success: unlimited kind, 50,000 x 1 KiB, free in memkind's irregular pattern (+5/+3 from index 1), defrag every remaining pointer -> at least one moves (contents kept).
    [Fact]
    public void PmemDefragreallocateSuccess()
    {
        const int count = 50_000;
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, 0);
        var blocks = new nuint[count];
        for (int i = 0; i < count; i++)
        {
            void* p = kind.TryAlloc((nuint)KB);
            Assert.True(p != null);
            FillBytes(p, (nuint)KB, (byte)'a');
            blocks[i] = (nuint)p;
        }
        for (int i = 1; i < count; i += i % 2 == 0 ? 3 : 5)
        {
            kind.Free((void*)blocks[i]);
            blocks[i] = 0;
        }
        int moved = 0;
        for (int i = 0; i < count; i++)
        {
            void* moved_to = kind.DefragRealloc((void*)blocks[i]);
            if (moved_to == null) continue;
            Assert.True(AllBytesAre(moved_to, (nuint)KB, (byte)'a'), "DefragRealloc lost the block's contents.");
            blocks[i] = (nuint)moved_to;
            moved++;
        }
        Assert.True(moved != 0, $"DefragRealloc moved none of the {blocks.Count(b => b != 0)} blocks left after freeing every 4th-ish 1 KiB block.");
        foreach (nuint p in blocks) kind.Free((void*)p);
    }
}

/// <summary>Ports of memkind's fill tests (conservative-policy refills and the greedy max fill); the slowest of memkind_pmem_tests.cpp.</summary>
public sealed unsafe class MemkindPmemFillConformanceTests : IDisposable
{
    private readonly PmemKind _kind = PmemKind.Create(TestDirectories.Tmpfs, PmemPartSize);

    public void Dispose() => _kind.Dispose();

    /// <summary>Refill cycles after the first fill (memkind: 10); see PmemMallocSizeConservative.</summary>
    private const int ConservativeRefills = 2;

    public static TheoryData<int> ConservativeSizes => new()
    {
        32, 60, 80, 100, 128, 150, 160, 250, 256, 300, 320, 500, 512, 800, 896, 3000, 4 * 1024, 6000, 10000, 60000,
        96 * 1024, 112 * 1024, 128 * 1024, 160 * 1024, 192 * 1024, 500000, 2 * 1024 * 1024, 5 * 1024 * 1024,
    };

    /// <summary>Allocates <paramref name="size"/>-byte blocks into <paramref name="buffer"/> until the kind refuses, frees them all, returns the count.</summary>
    private static int FillAndFree(MemoryKind kind, nuint size, nuint[] buffer)
    {
        int n = 0;
        while (true)
        {
            void* p = kind.TryAlloc(size);
            if (p == null) break;
            if (n == buffer.Length) throw new InvalidOperationException($"More than {buffer.Length} blocks of {size} bytes fitted.");
            buffer[n++] = (nuint)p;
        }
        for (int i = 0; i < n; i++) kind.Free((void*)buffer[i]);
        return n;
    }

    // memkind PmemMallocSizeConservative (28 sizes): CONSERVATIVE kind filled until NULL, then refills each >= 0.75 of the first fill. Runtime-limited: memkind's 82 MiB kind x 10 refills took minutes here, so a 16 MiB kind (MinSize, the smallest) with 2 refills (~20 s for the theory).
    [Theory]
    [MemberData(nameof(ConservativeSizes))]
    public void PmemMallocSizeConservative(int allocSize)
    {
        nuint size = (nuint)allocSize;
        using PmemKind kind = PmemKind.Create(new PmemConfig(TestDirectories.Tmpfs) { Size = PmemKind.MinSize, UsagePolicy = MemoryUsagePolicy.Conservative });
        var buffer = new nuint[kind.MaxSize / allocSize + 1];
        int initial = FillAndFree(kind, size, buffer);
        Assert.True(initial > 0);
        for (int loop = 0; loop < ConservativeRefills; loop++)
        {
            int count = FillAndFree(kind, size, buffer);
            Assert.True(count >= (int)(0.75 * initial), $"Cycle {loop}: {count} blocks of {size} bytes fitted, less than 0.75 x the first fill ({initial}).");
        }
    }

    // memkind PmemMallocSmallSizeFillConservative: 18 MiB CONSERVATIVE kind; fill cycling through jemalloc's 36 small classes (8 B..14 KiB), then refills each >= 0.98 of the first fill. Runtime-limited: 20 refills instead of 100 (100 took ~15-25 s here, and the kind cannot shrink much below 18 MiB).
    [Fact]
    public void PmemMallocSmallSizeFillConservative()
    {
        nuint[] sizes =
        [
            8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024, 1280, 1536, 1792,
            2048, 2560, 3072, 3584, 4096, 5120, 6144, 7168, 8192, 10240, 12288, 14336,
        ];
        using PmemKind kind = PmemKind.Create(new PmemConfig(TestDirectories.Tmpfs) { Size = PmemPartSize, UsagePolicy = MemoryUsagePolicy.Conservative });
        var blocks = new List<nuint>();
        int Fill()
        {
            for (int j = 0; ; j = (j + 1) % sizes.Length)
            {
                void* p = kind.TryAlloc(sizes[j]);
                if (p == null) break;
                blocks.Add((nuint)p);
            }
            int n = blocks.Count;
            FreeAll(kind, blocks);
            return n;
        }
        int initial = Fill();
        Assert.True(initial > 0);
        for (int loop = 0; loop < 20; loop++)
        {
            int count = Fill();
            Assert.True(count >= 0.98 * initial, $"Cycle {loop}: {count} mixed small blocks fitted, less than 0.98 x the first fill ({initial}).");
        }
    }

    /// <summary>The largest size in [1, <paramref name="upper"/>] the kind gives now (binary search; the block is kept), or 0 with nothing allocated.</summary>
    private static long TakeLargest(MemoryKind kind, long upper, out nuint block)
    {
        block = 0;
        long lo = 0, hi = upper; // lo fits (0 trivially), everything above hi is unknown
        while (lo < hi)
        {
            long mid = lo + (hi - lo + 1) / 2;
            void* p = kind.TryAlloc((nuint)mid);
            if (p != null)
            {
                kind.Free(p);
                lo = mid;
            }
            else hi = mid - 1;
        }
        if (lo == 0) return 0;
        void* taken = kind.TryAlloc((nuint)lo);
        Assert.True(taken != null, $"{lo} bytes fitted a moment ago but not now.");
        block = (nuint)taken;
        return lo;
    }

    // memkind PmemMaxFill [I][J]: greedy "largest block that still fits" (binary search instead of 1-byte steps; MaxSize instead of priv->max_size); memkind's "exactly 4 then nothing" is jemalloc's, so here: the first is >= MaxSize - 2 MiB, the sequence ends with nothing fitting within MaxSize, and the emptied kind gives the first block again.
    [Fact]
    public void PmemMaxFill()
    {
        long total = _kind.MaxSize;
        for (int round = 0; round < 2; round++)
        {
            var taken = new List<nuint>();
            long sum = 0;
            long first = TakeLargest(_kind, total, out nuint block);
            Assert.True(first >= total - 2 * MB, $"Round {round}: the largest block an empty {total}-byte kind gives is {first} bytes, less than MaxSize - 2 MiB.");
            taken.Add(block);
            sum += first;
            while (true)
            {
                long size = TakeLargest(_kind, total, out block);
                if (size == 0) break;
                taken.Add(block);
                sum += size;
                Assert.True(taken.Count < 100_000, "The greedy fill never ended.");
            }
            Assert.True(_kind.TryAlloc(1) == null, "Nothing fits any more, yet 1 byte did.");
            Assert.True(sum <= total, $"Greedy blocks total {sum} bytes, more than MaxSize {total}.");
            Assert.True(_kind.Source.StorageBytes <= total);
            FreeAll(_kind, taken);
        }
    }
}

/// <summary>Ports of memkind's create/destroy loops over MEMKIND_MAX_KIND (512) kinds and the benchmarks-as-tests.</summary>
public sealed unsafe class MemkindPmemKindLoopConformanceTests
{
    private const int MaxKind = 512; // MEMKIND_MAX_KIND

    // memkind PmemCreateDestroyKindEmptyLoop: 512 x {create 16 MiB kind; destroy}.
    [Fact]
    public void PmemCreateDestroyKindEmptyLoop()
    {
        for (int i = 0; i < MaxKind; i++)
        {
            PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize);
            kind.Dispose();
            Assert.True(kind.IsDisposed);
        }
    }

    // memkind PmemCreateDestroyKindLoopMallocSmallSizeFreeDefinedPmemKind: 512 x {create; malloc/free 1 KiB; destroy}.
    [Fact]
    public void PmemCreateDestroyKindLoopMallocSmallSizeFreeDefinedPmemKind()
    {
        for (int i = 0; i < MaxKind; i++)
        {
            using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize);
            void* p = kind.TryAlloc((nuint)KB);
            Assert.True(p != null);
            kind.Free(p);
        }
    }

    /// <summary>One round of memkind's "different sizes, different kinds" loops; each flag says whether that block is freed with FreeAny (memkind_free(NULL, p)).</summary>
    private static void DifferentKindsRound(bool pmemChunkAny, bool pmemSmallAny, bool defaultAny)
    {
        nuint small = (nuint)KB, chunk = (nuint)PmemKind.ChunkSize;
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize);
        void* p = kind.TryAlloc(small);
        Assert.True(p != null);
        if (pmemSmallAny) MemoryKind.FreeAny(p); else kind.Free(p);
        p = kind.TryAlloc(chunk);
        Assert.True(p != null);
        if (pmemChunkAny) MemoryKind.FreeAny(p); else kind.Free(p);
        // MEMKIND_DEFAULT and MEMKIND_REGULAR: both are MemoryKind.Default here.
        for (int regular = 0; regular < 2; regular++)
        {
            foreach (nuint size in new[] { chunk, small })
            {
                void* d = MemoryKind.Default.TryAlloc(size);
                Assert.True(d != null);
                if (defaultAny) MemoryKind.FreeAny(d); else MemoryKind.Default.Free(d);
            }
        }
    }

    // memkind PmemCreateDestroyKindLoopMallocDifferentSizesDifferentKindsDefinedFreeForAllKinds: 512 x pmem 1 KiB + 2 MiB, DEFAULT and REGULAR (-> Default) 2 MiB + 1 KiB, each freed with its own kind.
    [Fact]
    public void PmemCreateDestroyKindLoopMallocDifferentSizesDifferentKindsDefinedFreeForAllKinds()
    {
        for (int i = 0; i < MaxKind; i++) DifferentKindsRound(pmemChunkAny: false, pmemSmallAny: false, defaultAny: false);
    }

    // memkind PmemCreateDestroyKindLoopMallocDifferentSizesDifferentKindsDefinedFreeForNotPmemKinds: same, the 2 MiB pmem block freed with FreeAny.
    [Fact]
    public void PmemCreateDestroyKindLoopMallocDifferentSizesDifferentKindsDefinedFreeForNotPmemKinds()
    {
        for (int i = 0; i < MaxKind; i++) DifferentKindsRound(pmemChunkAny: true, pmemSmallAny: false, defaultAny: false);
    }

    // memkind PmemCreateDestroyKindLoopMallocDifferentSizesDifferentKindsNullKindFree: same, every block freed with FreeAny.
    [Fact]
    public void PmemCreateDestroyKindLoopMallocDifferentSizesDifferentKindsNullKindFree()
    {
        for (int i = 0; i < MaxKind; i++) DifferentKindsRound(pmemChunkAny: true, pmemSmallAny: true, defaultAny: true);
    }

    // memkind PmemCreateDestroyKindLoopWithRealloc: 512 x {create; malloc 512; realloc to 1 KiB; free; destroy}.
    [Fact]
    public void PmemCreateDestroyKindLoopWithRealloc()
    {
        for (int i = 0; i < MaxKind; i++)
        {
            using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize);
            void* p = kind.TryAlloc(512);
            Assert.True(p != null);
            p = kind.TryRealloc(p, (nuint)KB);
            Assert.True(p != null);
            kind.Free(p);
        }
    }

    // memkind PmemCreateCheckErrorCodeArenaCreate [J]: memkind may fail with MEMKIND_ERROR_ARENAS_CREATE (jemalloc arena limit) before 512; this library has no arena limit, so all 512 live 16 MiB kinds must be created and destroyed.
    [Fact]
    public void PmemCreateCheckErrorCodeArenaCreate()
    {
        var kinds = new List<PmemKind>();
        try
        {
            for (int i = 0; i < MaxKind; i++) kinds.Add(PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize));
        }
        finally
        {
            foreach (PmemKind kind in kinds) kind.Dispose();
        }
        Assert.Equal(MaxKind, kinds.Count);
    }

    // memkind PmemMultithreadsStressKindsCreate: memkind creates kinds until its limit, frees one slot and lets 50 threads race for it; no such limit here, so 512 live 18 MiB kinds, one destroyed, then 50 threads released together each create/malloc(32)/free/destroy.
    [Fact]
    public void PmemMultithreadsStressKindsCreate()
    {
        var kinds = new List<PmemKind>();
        try
        {
            for (int i = 0; i < MaxKind; i++) kinds.Add(PmemKind.Create(TestDirectories.Tmpfs, PmemPartSize));
            kinds[^1].Dispose();
            RunThreadsTogether(50, _ =>
            {
                using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, PmemPartSize);
                void* p = kind.TryAlloc(32);
                Assert.True(p != null);
                kind.Free(p);
            });
        }
        finally
        {
            foreach (PmemKind kind in kinds) kind.Dispose();
        }
    }

    // memkind PmemKindFreeBenchmarkOneThread [T]: 10 x 18 MiB kinds filled with 512 B, freed with the kind, refilled, freed with FreeAny; memkind's timing assertion (explicit < implicit) dropped, both refills must be non-empty.
    [Fact]
    public void PmemKindFreeBenchmarkOneThread()
    {
        var kinds = new PmemKind[10];
        try
        {
            for (int i = 0; i < kinds.Length; i++) kinds[i] = PmemKind.Create(TestDirectories.Tmpfs, PmemPartSize);
            var explicitBlocks = kinds.Select(k => FillUntilFull(k, 512)).ToArray();
            for (int i = 0; i < kinds.Length; i++)
            {
                Assert.NotEmpty(explicitBlocks[i]);
                FreeAll(kinds[i], explicitBlocks[i]);
            }
            var implicitBlocks = kinds.Select(k => FillUntilFull(k, 512)).ToArray();
            foreach (List<nuint> blocks in implicitBlocks)
            {
                Assert.NotEmpty(blocks);
                foreach (nuint p in blocks) MemoryKind.FreeAny((void*)p);
            }
        }
        finally
        {
            foreach (PmemKind? kind in kinds) kind?.Dispose();
        }
    }

    // memkind PmemKindFreeBenchmarkWithThreads [T]: 10 kinds x up to 100,000 mallocs of 512 B (must hit NULL first); 10 threads released together free with the kind, refill, 10 threads free with FreeAny; timings dropped (memkind only prints them).
    [Fact]
    public void PmemKindFreeBenchmarkWithThreads()
    {
        const int mallocCount = 100_000;
        var kinds = new PmemKind[10];
        try
        {
            for (int i = 0; i < kinds.Length; i++) kinds[i] = PmemKind.Create(TestDirectories.Tmpfs, PmemPartSize);
            List<nuint>[] Fill()
            {
                var all = kinds.Select(k => FillUntilFull(k, 512, mallocCount)).ToArray();
                foreach (List<nuint> blocks in all) Assert.NotEqual(mallocCount, blocks.Count);
                return all;
            }
            List<nuint>[] blocks = Fill();
            RunThreadsTogether(kinds.Length, t => { foreach (nuint p in blocks[t]) kinds[t].Free((void*)p); });
            blocks = Fill();
            RunThreadsTogether(kinds.Length, t => { foreach (nuint p in blocks[t]) MemoryKind.FreeAny((void*)p); });
            foreach (PmemKind kind in kinds) Assert.Equal(0, kind.GetStats().Allocated);
        }
        finally
        {
            foreach (PmemKind? kind in kinds) kind?.Dispose();
        }
    }
}

/// <summary>Runs alone (no parallel tests in this process): these ports measure the file system's free space.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemkindFileSpaceCollection
{
    public const string Name = "Memkind conformance: file-system space (not parallel)";
}

/// <summary>Ports of memkind's PmemFreeMemoryAfterDestroy* tests: statvfs free space of the directory and the kind's file blocks.</summary>
[Collection(MemkindFileSpaceCollection.Name)]
public sealed unsafe class MemkindPmemFileSpaceConformanceTests
{
    /// <summary>
    /// memkind's statfs checks, with other processes on the machine in mind: free space must drop by at least half the
    /// file's blocks while the kind is filled, and come back by as much after Dispose. One quiet attempt out of five is
    /// enough (another process can free or use space in between); every attempt checks the file's own blocks.
    /// </summary>
    private static void AssertSpaceTakenAndGivenBack(string fileSystem, Func<PmemKind, int> fill)
    {
        string directory = TestDirectories.Get(fileSystem);
        var attempts = new List<string>();
        for (int attempt = 0; attempt < 5; attempt++)
        {
            PmemKind kind = PmemKind.Create(directory, PmemPartSize);
            long before, filled, storage;
            int count;
            try
            {
                before = FreeBytes(directory);
                count = fill(kind);
                filled = FreeBytes(directory);
                storage = kind.Source.StorageBytes;
            }
            catch
            {
                kind.Dispose();
                throw;
            }
            kind.Dispose();
            long after = FreeBytes(directory);
            Assert.True(storage > 0, $"{fileSystem}: the kind's file holds {storage} bytes with {count} blocks allocated.");
            // The limit (rounded up to a chunk) plus 1% for the file system's own blocks (ext4 counts its extent tree in st_blocks).
            Assert.True(storage <= (PmemPartSize + PmemKind.ChunkSize) * 101 / 100, $"{fileSystem}: the kind's file holds {storage} bytes, more than its {PmemPartSize}-byte limit and a chunk.");
            long taken = before - filled, given = after - filled;
            attempts.Add($"storage {storage}, free space dropped {taken}, came back {given}");
            if (taken > 0 && given > 0 && taken >= storage / 2 && given >= storage / 2) return;
        }
        Assert.Fail($"{fileSystem}: free space never dropped and came back by half the kind's file blocks: {string.Join("; ", attempts)}.");
    }

    // memkind PmemFreeMemoryAfterDestroyLargeClass: 18 MiB kind filled with 16 KiB blocks (never freed) lowers f_bfree; destroy raises it; both file systems, tolerant of other processes (see helper).
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void PmemFreeMemoryAfterDestroyLargeClass(string fileSystem)
    {
        AssertSpaceTakenAndGivenBack(fileSystem, kind =>
        {
            int n = FillUntilFull(kind, (nuint)(16 * KB)).Count;
            Assert.True(n > 0);
            return n;
        });
    }

    // memkind PmemFreeMemoryAfterDestroySmallClass: 100 x malloc(32) (never freed) must already lower f_bfree (space is reserved, not sparse); destroy raises it; both file systems.
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void PmemFreeMemoryAfterDestroySmallClass(string fileSystem)
    {
        AssertSpaceTakenAndGivenBack(fileSystem, kind =>
        {
            for (int i = 0; i < 100; i++) Assert.True(kind.TryAlloc(32) != null);
            return 100;
        });
    }
}
