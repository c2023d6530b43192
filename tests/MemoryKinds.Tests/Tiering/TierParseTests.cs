namespace MemoryKinds.Tests.Tiering;

/// <summary>
/// TieredMemory.Parse with memkind's MEMKIND_MEM_TIERS / MEMKIND_MEM_THRESHOLDS syntax: the rules memkind's own tests
/// (test/tiering_tests.py, Test_tiering_config_env) check, with memkind's /tmp/ and /mnt replaced by the test directories.
/// </summary>
public unsafe class TierParseTests
{
    private const string Policy = ";POLICY:STATIC_RATIO";
    private static string Tmp => TestDirectories.Tmpfs;
    private static string Mnt => TestDirectories.Ext4;

    private static FormatException Bad(string tiers, string? thresholds = null)
        => Assert.Throws<FormatException>(() => TieredMemory.Parse(tiers, thresholds).Dispose());

    [Theory]
    [InlineData("KIND:DRAM,RATIO:1")]
    [InlineData("RATIO:1,KIND:DRAM")]
    [InlineData("KIND:DRAM,RATIO:1000")]
    [InlineData("KIND:DRAM,RATIO:4294967295")]
    public void ADramTierIsTheDefaultKindAndDisposeLeavesIt(string tier)
    {
        TieredMemory tiers = TieredMemory.Parse(tier + Policy);
        Assert.Equal([MemoryKind.Default], tiers.Kinds);
        Assert.Equal(TierPolicy.StaticRatio, tiers.Policy);
        void* p = tiers.Alloc(100);
        Assert.Same(MemoryKind.Default, MemoryKind.Detect(p));
        tiers.Free(p);
        tiers.Dispose();
        Assert.False(MemoryKind.Default.IsDisposed);
    }

    [Theory]
    [InlineData("KIND:FS_DAX,PATH:{0},PMEM_SIZE_LIMIT:10G,RATIO:1")]
    [InlineData("PATH:{0},KIND:FS_DAX,PMEM_SIZE_LIMIT:10G,RATIO:1")]
    [InlineData("KIND:FS_DAX,PMEM_SIZE_LIMIT:10G,PATH:{0},RATIO:1")]
    [InlineData("RATIO:1,PMEM_SIZE_LIMIT:10G,KIND:FS_DAX,PATH:{0}")]
    public void FsDaxParametersComeInAnyOrderAndDisposeDisposesTheKind(string tier)
    {
        TieredMemory tiers = TieredMemory.Parse(string.Format(tier, Tmp) + Policy);
        PmemKind kind = Assert.IsType<PmemKind>(Assert.Single(tiers.Kinds));
        Assert.Equal(10L << 30, kind.MaxSize);
        Assert.Equal(Path.GetFullPath(Tmp), kind.Directory);
        tiers.Dispose();
        Assert.True(kind.IsDisposed);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("16777216", 16L << 20)]
    [InlineData("18446744073709551615", 0)] // memkind takes any size_t; past a long it means no limit here
    [InlineData("1073741824", 1L << 30)]
    [InlineData("1048576K", 1L << 30)]
    [InlineData("1024M", 1L << 30)]
    [InlineData("1G", 1L << 30)]
    public void SizeLimitsTakeKMGSuffixes(string size, long expected)
    {
        using TieredMemory tiers = TieredMemory.Parse($"KIND:FS_DAX,PATH:{Tmp},PMEM_SIZE_LIMIT:{size},RATIO:1" + Policy);
        Assert.Equal(expected, ((PmemKind)tiers.Kinds[0]).MaxSize);
    }

    [Fact]
    public void AnFsDaxTierWithoutSizeLimitIsUnlimited()
    {
        using TieredMemory tiers = TieredMemory.Parse($"KIND:FS_DAX,PATH:{Tmp},RATIO:1" + Policy);
        Assert.Equal(0, ((PmemKind)tiers.Kinds[0]).MaxSize);
    }

    [Theory]
    [InlineData("POLICY:STATIC_RATIO", TierPolicy.StaticRatio)]
    [InlineData("POLICY:DYNAMIC_THRESHOLD", TierPolicy.DynamicThreshold)]
    public void TwoTiersWithEitherPolicy(string policy, TierPolicy expected)
    {
        using TieredMemory tiers = TieredMemory.Parse($"KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:{Tmp},PMEM_SIZE_LIMIT:100M,RATIO:4;{policy}");
        Assert.Equal(expected, tiers.Policy);
        Assert.Same(MemoryKind.Default, tiers.Kinds[0]);
        Assert.IsType<PmemKind>(tiers.Kinds[1]);
    }

    [Fact]
    public void ThreeTiersWithStaticRatio()
    {
        using TieredMemory tiers = TieredMemory.Parse(
            $"KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:{Tmp},PMEM_SIZE_LIMIT:100M,RATIO:4;KIND:FS_DAX,PATH:{Mnt},PMEM_SIZE_LIMIT:150M,RATIO:8" + Policy);
        Assert.Equal(3, tiers.Kinds.Count);
        // In MEMKIND_MEM_TIERS DYNAMIC_THRESHOLD takes two tiers, as memkind's parser (TieredMemory.Create takes more).
        FormatException e = Bad($"KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:{Tmp},RATIO:4;KIND:FS_DAX,PATH:{Mnt},RATIO:8;POLICY:DYNAMIC_THRESHOLD");
        Assert.Contains("POLICY:DYNAMIC_THRESHOLD", e.Message);
    }

    [Theory]
    [InlineData("INIT_VAL:1K,MIN_VAL:64,MAX_VAL:2K", 1024)]
    [InlineData("INIT_VAL:100,MIN_VAL:1,MAX_VAL:1000", 100)]
    [InlineData("MIN_VAL:1,MAX_VAL:1000,INIT_VAL:100", 100)]
    [InlineData("MIN_VAL:1,INIT_VAL:100,MAX_VAL:1000", 100)]
    [InlineData("MAX_VAL:1000,MIN_VAL:1,INIT_VAL:100", 100)]
    [InlineData("INIT_VAL:600", 600)] // the others keep memkind's defaults, 512 and 1535
    public void ThresholdsInAnyOrder(string thresholds, int initial)
    {
        using TieredMemory tiers = TieredMemory.Parse(
            $"KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:{Tmp},PMEM_SIZE_LIMIT:100M,RATIO:4;POLICY:DYNAMIC_THRESHOLD", thresholds);
        Assert.Equal((nuint)initial, tiers.Threshold);
    }

    [Theory]
    [InlineData("RATIO:1,fafes:DRAM", "fafes:DRAM")]
    [InlineData("RATIO:1,fdas3rfs43:DRAM", "fdas3rfs43:DRAM")]
    [InlineData("RATIO:1,%#3^:DRAM", "%#3^:DRAM")]
    [InlineData("KIND:DRAM,PMEM_SIZE_LIMIT:1G,RATIO:1", "PMEM_SIZE_LIMIT:1G")]
    [InlineData("KIND:DRAM,PATH:/tmp/,RATIO:1", "PATH:/tmp/")]
    [InlineData("KIND:DRAM,RATIO:A", "RATIO:A")]
    [InlineData("KIND:DRAM", "KIND:DRAM")]
    [InlineData("KIND:a1b2,RATIO:10", "KIND:a1b2")]
    [InlineData("KIND:DRAM,RATIO:-1", "RATIO:-1")]
    [InlineData("KIND:DRAM,RATIO:0", "RATIO:0")]
    [InlineData("KIND:DRAM,RATIO:4294967296", "RATIO:4294967296")]
    [InlineData("RATIO:2,KIND:DRAM,RATIO:1", "RATIO:1")]
    [InlineData("KIND:DRAM,RATIO:1,KIND:FS_DAX", "KIND:FS_DAX")]
    [InlineData("KIND:::DRAM,RATIO:1", "KIND:::DRAM")]
    [InlineData("KIND:DRAM,,RATIO:1", "KIND:DRAM,,RATIO:1")]
    [InlineData("KIND:,RATIO:1", "KIND:")]
    public void BadTiersNameTheirToken(string tier, string token)
        => Assert.Contains($"'{token}'", Bad(tier + Policy).Message);

    [Theory]
    [InlineData("-1")]
    [InlineData("-4294967295")]
    [InlineData("-18446744073709551615")]
    [InlineData("18446744073709551616")]
    [InlineData("1")]
    [InlineData("16777215")]
    [InlineData("18446744073709551615K")]
    [InlineData("18446744073709551615M")]
    [InlineData("18446744073709551615G")]
    [InlineData("as")]
    [InlineData("10K1")]
    [InlineData("M")]
    [InlineData("M2")]
    [InlineData("10KM")]
    [InlineData("1T")]
    public void BadSizeLimitsAreRefused(string size)
        => Assert.Contains($"'PMEM_SIZE_LIMIT:{size}'", Bad($"KIND:FS_DAX,PATH:{Tmp},PMEM_SIZE_LIMIT:{size},RATIO:1" + Policy).Message);

    [Theory]
    [InlineData("KIND:FS_DAX,PATH:{0},PMEM_SIZE_LIMIT:10G,RATIO:-1" + Policy)]
    [InlineData("KIND:FS_DAX,PATH:{0},PMEM_SIZE_LIMIT:10G,RATIO:a" + Policy)]
    [InlineData("KIND:FS_DAX,PMEM_SIZE_LIMIT:10G,RATIO:1" + Policy)]
    [InlineData("KIND:FS_DAX,PATH:{0},PMEM_SIZE_LIMIT18446744073709551615K,RATIO:1" + Policy)] // memkind's test, no ':'
    [InlineData("KIND:FS_DAX")]
    [InlineData("")]
    [InlineData("2")]
    [InlineData(",")]
    [InlineData(",,,")]
    [InlineData(":")]
    [InlineData("::")]
    [InlineData("KIND:DRAM,RATIO:1;POLICY:ABC")]
    [InlineData("KIND:DRAM,RATIO:1;POLICY:5252")]
    [InlineData("KIND:DRAM,RATIO:1;POLICY:1AB2C3")]
    [InlineData("KIND:DRAM,RATIO:1;POLICY:#@%srfs")]
    [InlineData("KIND:DRAM,RATIO:1;POLICY:static_ratio")]
    [InlineData("KIND:DRAM,RATIO:1" + Policy + Policy)]
    [InlineData("POLICY:STATIC_RATIO;KIND:DRAM,RATIO:1")]
    [InlineData("KIND:DRAM,RATIO:1")]
    [InlineData("KIND:FS_DAX,PATH:{0},PMEM_SIZE_LIMIT:100M,RATIO:1")]
    [InlineData("KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:{0},PMEM_SIZE_LIMIT:100M,RATIO:1")]
    [InlineData("KIND:DRAM,RATIO:1;;POLICY:STATIC_RATIO")]
    [InlineData("KIND:DRAM,RATIO:1;KIND:DRAM,RATIO:2" + Policy)]
    [InlineData("KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:{0},PMEM_SIZE_LIMIT:100M,RATIO:4;KIND:non_existent,PATH:{1},PMEM_SIZE_LIMIT:150M,RATIO:8" + Policy)]
    [InlineData("KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:{0},PMEM_SIZE_LIMIT:100M,RATIO:4;KIND:FS_DAX,PATH:{1},PMEM_SIZE_LIMIT:1M,RATIO:8" + Policy)]
    [InlineData("KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:{0},PMEM_SIZE_LIMIT:100M,RATIO:4;KIND:FS_DAX,PATH:{1},PMEM_SIZE_LIMIT:150M,RATIO:0" + Policy)]
    [InlineData("KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:{0},PMEM_SIZE_LIMIT:100M,RATIO:4;KIND:DRAM,RATIO:1" + Policy)]
    public void BadConfigurationsAreRefused(string tiers)
    {
        FormatException e = Bad(string.Format(tiers, Tmp, Mnt));
        Assert.StartsWith("Bad tiering configuration at '", e.Message);
    }

    [Fact]
    public void AMissingFsDaxDirectoryIsTheKindsOwnError()
        => Assert.Throws<DirectoryNotFoundException>(() => TieredMemory.Parse(
            $"KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:{Tmp},PMEM_SIZE_LIMIT:100M,RATIO:4;KIND:FS_DAX,PATH:/non_existent,PMEM_SIZE_LIMIT:150M,RATIO:8" + Policy));

    [Theory]
    [InlineData("KIND:DRAM,RATIO:1;KIND:KMEM_DAX,RATIO:100" + Policy)]
    [InlineData("KIND:DRAM,RATIO:1;KIND:KMEM_DAX,RATIO:10;KIND:KMEM_DAX,RATIO:8" + Policy)]
    public void KmemDaxSaysWhyItIsUnavailable(string tiers)
    {
        NotSupportedException e = Assert.Throws<NotSupportedException>(() => TieredMemory.Parse(tiers));
        Assert.Contains("KMEM_DAX", e.Message);
        Assert.Contains("NUMA node", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("::")]
    [InlineData("AAA")]
    [InlineData("A1B2C3")]
    [InlineData("AAA:BB")]
    [InlineData("AA:42")]
    [InlineData("INIT_VAL:AAA")]
    [InlineData("INIT_VAL:1A2B")]
    [InlineData("INIT_VAL::")]
    [InlineData("INIT_VAL:14,4.4")]
    [InlineData("INIT_VAL:111,INIT_VAL:222")]
    [InlineData("INIT_VAL:101,MIN_VAL:1,MAX_VAL:100")]
    [InlineData("INIT_VAL:50,MIN_VAL:100,MAX_VAL:10")]
    [InlineData("INIT_VAL:1,MIN_VAL:10,MAX_VAL:100")]
    [InlineData("INIT_VAL:1K,INIT_VAL:2K,MIN_VAL:64,MAX_VAL:3K")]
    [InlineData("INIT_VAL:1K,MIN_VAL:64,MAX_VAL:2K,MAX_VAL:10K")]
    [InlineData("INIT_VAL:1K,MIN_VAL:3K,MIN_VAL:64,MAX_VAL:2K")]
    [InlineData("INIT_VAL:1K,MIN_VAL:64,MAX_VAL:2K,INIT_VAL:10K")]
    [InlineData("INIT_VAL:1K,MIN_VAL:64,MAX_VAL:2K;INIT_VAL:10K,MIN_VAL:3K,MAX_VAL:20K")]
    public void BadThresholdsAreRefused(string thresholds)
        => Bad($"KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:{Tmp},PMEM_SIZE_LIMIT:100M,RATIO:4;POLICY:DYNAMIC_THRESHOLD", thresholds);

    [Fact]
    public void ThresholdsNeedTheDynamicThresholdPolicy()
        => Assert.Contains("DYNAMIC_THRESHOLD", Bad($"KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:{Tmp},PMEM_SIZE_LIMIT:100M,RATIO:4" + Policy,
            "INIT_VAL:1K,MIN_VAL:64,MAX_VAL:2K").Message);

    [Fact]
    public void FromEnvironmentReadsBothVariablesAndIsNullWhenUnset()
    {
        // No other test reads these variables.
        Environment.SetEnvironmentVariable(TieredMemory.TiersVariable, null);
        Assert.Null(TieredMemory.FromEnvironment());
        try
        {
            Environment.SetEnvironmentVariable(TieredMemory.TiersVariable, $"KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:{Tmp},RATIO:4;POLICY:DYNAMIC_THRESHOLD");
            Environment.SetEnvironmentVariable(TieredMemory.ThresholdsVariable, "INIT_VAL:700");
            using TieredMemory? tiers = TieredMemory.FromEnvironment();
            Assert.NotNull(tiers);
            Assert.Equal((nuint)700, tiers.Threshold);
            Environment.SetEnvironmentVariable(TieredMemory.ThresholdsVariable, "INIT_VAL:7");
            Assert.Throws<FormatException>(TieredMemory.FromEnvironment);
        }
        finally
        {
            Environment.SetEnvironmentVariable(TieredMemory.TiersVariable, null);
            Environment.SetEnvironmentVariable(TieredMemory.ThresholdsVariable, null);
        }
    }
}
