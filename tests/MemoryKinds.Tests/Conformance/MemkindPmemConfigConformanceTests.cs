using static MemoryKinds.Tests.Conformance.MemkindConformance;

namespace MemoryKinds.Tests.Conformance;

/// <summary>
/// Ports of memkind's test/memkind_pmem_config_tests.cpp. memkind_config_new/set_path/set_size/set_memory_usage_policy
/// map to the <see cref="PmemConfig"/> record (which, unlike memkind's malloc'd struct, has real defaults), and
/// memkind_create_pmem_with_config to <see cref="PmemKind.Create(PmemConfig)"/>. All memkind cases are ported.
/// </summary>
public sealed unsafe class MemkindPmemConfigConformanceTests
{
    // memkind CreateAndDestroyEmptyConfig: memkind_config_new non-NULL; here also checks the defaults memkind lacks (size 0 = unlimited, DEFAULT policy).
    [Fact]
    public void CreateAndDestroyEmptyConfig()
    {
        var config = new PmemConfig(TestDirectories.Tmpfs);
        Assert.NotNull(config);
        Assert.Equal(0, config.Size);
        Assert.Equal(MemoryUsagePolicy.Default, config.UsagePolicy);
    }

    // memkind PmemConSetConfigSizeZero [I]: reads cfg->pmem_size; here the Size property.
    [Fact]
    public void PmemConSetConfigSizeZero()
    {
        var config = new PmemConfig(TestDirectories.Tmpfs) { Size = 0 };
        Assert.Equal(0, config.Size);
    }

    // memkind PmemSetConfigSizeNotZero [I]: 100 MB stored as given.
    [Fact]
    public void PmemSetConfigSizeNotZero()
    {
        var config = new PmemConfig(TestDirectories.Tmpfs) { Size = 100 * MB };
        Assert.Equal(100 * MB, config.Size);
    }

    // memkind PmemSetConfigPath [I]: the path is stored as given.
    [Fact]
    public void PmemSetConfigPath()
    {
        var config = new PmemConfig(TestDirectories.Tmpfs);
        Assert.Equal(TestDirectories.Tmpfs, config.Path);
    }

    // memkind PmemSetDefaultMemoryUsagePolicy [I]: policy DEFAULT stored (and the kind created from it reports it).
    [Fact]
    public void PmemSetDefaultMemoryUsagePolicy()
    {
        var config = new PmemConfig(TestDirectories.Tmpfs) { UsagePolicy = MemoryUsagePolicy.Default };
        Assert.Equal(MemoryUsagePolicy.Default, config.UsagePolicy);
        using PmemKind kind = PmemKind.Create(config);
        Assert.Equal(MemoryUsagePolicy.Default, kind.UsagePolicy);
    }

    // memkind SetConservativeMemoryUsagePolicy [I]: policy CONSERVATIVE stored (and the kind created from it reports it).
    [Fact]
    public void SetConservativeMemoryUsagePolicy()
    {
        var config = new PmemConfig(TestDirectories.Tmpfs) { UsagePolicy = MemoryUsagePolicy.Conservative };
        Assert.Equal(MemoryUsagePolicy.Conservative, config.UsagePolicy);
        using PmemKind kind = PmemKind.Create(config);
        Assert.Equal(MemoryUsagePolicy.Conservative, kind.UsagePolicy);
    }

    // memkind PmemCreatePmemWithParamsFailWrongDirectory: missing dir, size 0 -> MEMKIND_ERROR_INVALID (ENOENT) -> DirectoryNotFoundException.
    [Fact]
    public void PmemCreatePmemWithParamsFailWrongDirectory()
    {
        Assert.Throws<DirectoryNotFoundException>(() => PmemKind.Create(new PmemConfig(MissingDirectory) { Size = 0, UsagePolicy = MemoryUsagePolicy.Default }));
    }

    // memkind PmemCreatePmemWithParamsFailWrongSize: size MIN - 1 -> MEMKIND_ERROR_INVALID -> ArgumentOutOfRangeException.
    [Fact]
    public void PmemCreatePmemWithParamsFailWrongSize()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PmemKind.Create(new PmemConfig(TestDirectories.Tmpfs) { Size = PmemKind.MinSize - 1, UsagePolicy = MemoryUsagePolicy.Default }));
    }

    // memkind PmemCreatePmemWithParamsFailWrongPolicy: size MIN - 1 with policy MAX_VALUE -> ArgumentOutOfRangeException; also the valid-size case memkind never tests (it returns -13 but leaks a live kind).
    [Fact]
    public void PmemCreatePmemWithParamsFailWrongPolicy()
    {
        var maxValue = (MemoryUsagePolicy)2; // MEMKIND_MEM_USAGE_POLICY_MAX_VALUE
        Assert.Throws<ArgumentOutOfRangeException>(() => PmemKind.Create(new PmemConfig(TestDirectories.Tmpfs) { Size = PmemKind.MinSize - 1, UsagePolicy = maxValue }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PmemKind.Create(new PmemConfig(TestDirectories.Tmpfs) { Size = PmemKind.MinSize, UsagePolicy = maxValue }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PmemKind.Create(new PmemConfig(TestDirectories.Tmpfs) { UsagePolicy = (MemoryUsagePolicy)(-1) }));
    }

    // memkind PmemCreatePmemWithParamsSuccessCheckConservativePolicy [I][E]: unlimited CONSERVATIVE kind, malloc 1 KiB, free -> the file's st_blocks (StorageBytes) smaller right after free; both file systems.
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void PmemCreatePmemWithParamsSuccessCheckConservativePolicy(string fileSystem)
    {
        using PmemKind kind = PmemKind.Create(new PmemConfig(TestDirectories.Get(fileSystem)) { Size = 0, UsagePolicy = MemoryUsagePolicy.Conservative });
        void* p = kind.Alloc((nuint)KB);
        long before = kind.Source.StorageBytes;
        kind.Free(p);
        long after = kind.Source.StorageBytes;
        Assert.True(after < before, $"{fileSystem}: the file holds {after} bytes right after the only block was freed (was {before}).");
    }
}
