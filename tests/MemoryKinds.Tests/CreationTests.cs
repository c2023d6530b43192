namespace MemoryKinds.Tests;

/// <summary>PmemKind.Create: argument and directory errors leave nothing behind; size rounding; capacity.</summary>
[Collection(ProcessResourcesCollection.Name)]
public unsafe class CreationTests
{
    /// <summary>Runs <paramref name="create"/>, expects exactly <typeparamref name="T"/>, and checks no descriptor or mapping is left.</summary>
    private static T AssertFailsCleanly<T>(string what, string watchedDirectory, Func<object> create) where T : Exception
    {
        // Warm up the exception path once so the runtime's own lazy loading does not show up as a leak.
        try { create(); } catch (Exception) { }
        ProcessResources.Snapshot before = ProcessResources.Take(watchedDirectory);
        T e = Assert.Throws<T>(create);
        before.AssertUnchanged($"After the failed {what}");
        return e;
    }

    [Fact]
    public void NullDirectoryOrConfigThrowsArgumentNullException()
    {
        AssertFailsCleanly<ArgumentNullException>("Create((string)null)", TestDirectories.Tmpfs, () => PmemKind.Create((string)null!));
        AssertFailsCleanly<ArgumentNullException>("Create((PmemConfig)null)", TestDirectories.Tmpfs, () => PmemKind.Create((PmemConfig)null!));
        AssertFailsCleanly<ArgumentNullException>("Create(new PmemConfig(null))", TestDirectories.Tmpfs, () => PmemKind.Create(new PmemConfig(null!)));
        AssertFailsCleanly<ArgumentNullException>("Create((string)null, MinSize)", TestDirectories.Tmpfs, () => PmemKind.Create((string)null!, PmemKind.MinSize));
    }

    [Fact]
    public void EmptyDirectoryThrowsArgumentException()
    {
        AssertFailsCleanly<ArgumentException>("Create(\"\")", TestDirectories.Tmpfs, () => PmemKind.Create(""));
        AssertFailsCleanly<ArgumentException>("Create(new PmemConfig(\"\"))", TestDirectories.Tmpfs, () => PmemKind.Create(new PmemConfig("") { Size = PmemKind.MinSize }));
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void MissingDirectoryThrowsDirectoryNotFoundException(string fileSystem)
    {
        string dir = TestDirectories.Get(fileSystem);
        string missing = Path.Combine(dir, "no-such-directory", "deeper");
        DirectoryNotFoundException e = AssertFailsCleanly<DirectoryNotFoundException>($"Create({missing})", dir, () => PmemKind.Create(missing));
        Assert.Contains(missing, e.Message);
        AssertFailsCleanly<DirectoryNotFoundException>($"Create({missing}, MinSize)", dir, () => PmemKind.Create(missing, PmemKind.MinSize));
        Assert.False(Directory.Exists(Path.Combine(dir, "no-such-directory")), "Create made the missing directory.");
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void RegularFileThrowsDirectoryNotFoundException(string fileSystem)
    {
        string dir = TestDirectories.Get(fileSystem);
        string file = Path.Combine(dir, $"regular-file-{Guid.NewGuid():N}");
        File.WriteAllText(file, "not a directory");
        try
        {
            AssertFailsCleanly<DirectoryNotFoundException>($"Create({file})", dir, () => PmemKind.Create(file));
            AssertFailsCleanly<DirectoryNotFoundException>($"Create({file}/sub)", dir, () => PmemKind.Create(Path.Combine(file, "sub")));
            Assert.Equal("not a directory", File.ReadAllText(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void BadSizesThrowArgumentOutOfRangeException(string fileSystem)
    {
        string dir = TestDirectories.Get(fileSystem);
        foreach (long size in new[] { 1L, 4096L, PmemKind.ChunkSize, PmemKind.MinSize - 1, -1L, -PmemKind.MinSize, long.MinValue })
        {
            AssertFailsCleanly<ArgumentOutOfRangeException>($"Create(dir, {size})", dir, () => PmemKind.Create(dir, size));
            AssertFailsCleanly<ArgumentOutOfRangeException>($"Create(config with Size {size})", dir, () => PmemKind.Create(new PmemConfig(dir) { Size = size }));
        }
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void UndefinedPolicyThrowsArgumentOutOfRangeException(string fileSystem)
    {
        string dir = TestDirectories.Get(fileSystem);
        foreach (MemoryUsagePolicy policy in new[] { (MemoryUsagePolicy)7, (MemoryUsagePolicy)(-1), (MemoryUsagePolicy)2 })
        {
            AssertFailsCleanly<ArgumentOutOfRangeException>($"Create with policy {(int)policy}", dir, () => PmemKind.Create(new PmemConfig(dir) { UsagePolicy = policy }));
            AssertFailsCleanly<ArgumentOutOfRangeException>($"Create with policy {(int)policy} and a size", dir, () => PmemKind.Create(new PmemConfig(dir) { Size = PmemKind.MinSize, UsagePolicy = policy }));
        }
    }

    [Fact]
    public void ReadOnlyFileSystemThrowsUnauthorizedAccessException()
    {
        // Root ignores mode bits, so only a read-only mount refuses a new file.
        using ProcessResources.PrivateMount mount = ProcessResources.MountTmpfs("ro,size=1m");
        AssertFailsCleanly<UnauthorizedAccessException>($"Create({mount.Path}) on a read-only tmpfs", mount.Path, () => PmemKind.Create(mount.Path));
        AssertFailsCleanly<UnauthorizedAccessException>($"Create({mount.Path}, MinSize) on a read-only tmpfs", mount.Path, () => PmemKind.Create(mount.Path, PmemKind.MinSize));
        AssertFailsCleanly<UnauthorizedAccessException>("IsDax on a read-only tmpfs", mount.Path, () => PmemKind.IsDax(mount.Path));
        Assert.Empty(Directory.GetFileSystemEntries(mount.Path));
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void MaxSizeRoundsUpToChunks(string fileSystem)
    {
        string dir = TestDirectories.Get(fileSystem);
        foreach ((long asked, long expected) in new[]
        {
            (PmemKind.MinSize, 16L << 20),
            (PmemKind.MinSize + 1, 18L << 20),
            ((18L << 20) - 1, 18L << 20),
            (18L << 20, 18L << 20),
            ((18L << 20) + 4096, 20L << 20),
            ((1L << 30) + 1, (1L << 30) + (2L << 20)),
        })
        {
            using PmemKind kind = PmemKind.Create(dir, asked);
            Assert.True(kind.MaxSize == expected, $"Create(dir, {asked}).MaxSize is {kind.MaxSize}, expected {expected}.");
            Assert.Equal(expected, kind.Capacity);
            Assert.Equal(expected, kind.Source.Limit);
        }
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void CapacityIsTheFileSystemSizeWhenUnlimited(string fileSystem)
    {
        string dir = TestDirectories.Get(fileSystem);
        using PmemKind kind = PmemKind.Create(dir);
        Assert.Equal(0, kind.MaxSize);
        (long total, _) = ProcessResources.FileSystemSpace(dir);
        Assert.True(total > 0);
        Assert.Equal(total, kind.Capacity);
        using PmemKind viaConfig = PmemKind.Create(new PmemConfig(dir));
        Assert.Equal(total, viaConfig.Capacity);
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void SuccessfulCreateReportsItsSettings(string fileSystem)
    {
        string dir = TestDirectories.Get(fileSystem);
        using PmemKind kind = PmemKind.Create(new PmemConfig(dir + "/") { Size = PmemKind.MinSize, UsagePolicy = MemoryUsagePolicy.Conservative });
        Assert.Equal(Path.GetFullPath(dir + "/"), kind.Directory);
        Assert.Equal(MemoryUsagePolicy.Conservative, kind.UsagePolicy);
        Assert.False(kind.IsDisposed);
        Assert.False(string.IsNullOrEmpty(kind.Name));
        // The kind's file is unnamed: nothing appears in the directory.
        Assert.DoesNotContain(Directory.GetFileSystemEntries(dir), e => Path.GetFileName(e).StartsWith("memkinds.", StringComparison.Ordinal));
    }
}
