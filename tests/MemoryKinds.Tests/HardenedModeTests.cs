namespace MemoryKinds.Tests;

/// <summary>Hardened mode: tail canaries, junk fill, quarantine — each bug class injected for real.</summary>
public unsafe class HardenedModeTests
{
    private static PmemKind Create(long maxSize = PmemKind.MinSize)
        => PmemKind.Create(new PmemConfig(TestDirectories.Tmpfs) { Size = maxSize, Hardened = true });

    [Fact]
    public void KindsAreNotHardenedUnlessAsked()
    {
        using PmemKind plain = PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize);
        using PmemKind hardened = Create();
        Assert.False(plain.IsHardened);
        Assert.True(hardened.IsHardened);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(5000)]
    [InlineData(1 << 20)]
    public void NewBlocksAreJunkFilledAndUsableSizeCoversTheRequest(int size)
    {
        using PmemKind kind = Create();
        byte* p = (byte*)kind.Alloc((nuint)size);
        nuint usable = kind.GetUsableSize(p);
        Assert.True(usable >= (nuint)size, $"usable {usable} < requested {size}");
        Assert.True(new ReadOnlySpan<byte>(p, size).IndexOfAnyExcept((byte)0xA5) < 0, "A new block is not filled with 0xA5.");
        new Span<byte>(p, (int)usable).Fill(1);
        kind.Free(p);
        kind.Validate();
    }

    [Theory]
    [InlineData(64)]
    [InlineData(3000)]
    [InlineData(2 << 20)]
    public void WritingPastTheUsableSizeIsReportedAtFree(int size)
    {
        using PmemKind kind = Create();
        byte* p = (byte*)kind.Alloc((nuint)size);
        nuint usable = kind.GetUsableSize(p);
        p[usable] ^= 0xFF;
        var error = Assert.Throws<InvalidOperationException>(() => kind.Free(p));
        Assert.Contains("overflow", error.Message);
        kind.Validate();
    }

    [Fact]
    public void WritingAfterFreeIsReportedWhenTheBlockLeavesQuarantine()
    {
        using PmemKind kind = Create();
        byte* victim = (byte*)kind.Alloc(256);
        kind.Free(victim);
        victim[100] = 42;
        // Push the victim out of the quarantine (it holds at most 1024 blocks).
        var others = new List<nint>();
        for (int i = 0; i < 2000; i++) others.Add((nint)kind.Alloc(256));
        InvalidOperationException? error = null;
        foreach (nint p in others)
        {
            try { kind.Free((void*)p); }
            catch (InvalidOperationException e) { error ??= e; }
        }
        Assert.NotNull(error);
        Assert.Contains("after it was freed", error!.Message);
        Assert.Contains($"{(nuint)victim:x}", error.Message);
        kind.Validate();
    }

    [Fact]
    public void DoubleFreeOfAQuarantinedBlockIsReported()
    {
        using PmemKind kind = Create();
        void* a = kind.Alloc(64), b = kind.Alloc(64);
        kind.Free(a);
        kind.Free(b);
        Assert.Throws<ArgumentException>(() => kind.Free(a));
        Assert.Throws<ArgumentException>(() => kind.GetUsableSize(b));
        kind.Validate();
    }

    [Fact]
    public void QuarantineDoesNotCostCapacity()
    {
        using PmemKind kind = Create();
        int first = FillCount(kind, 4096, out List<nint> blocks);
        foreach (nint p in blocks) kind.Free((void*)p);
        int second = FillCount(kind, 4096, out blocks);
        foreach (nint p in blocks) kind.Free((void*)p);
        Assert.True(first > 3000, $"A 16 MiB hardened kind held only {first} blocks of 4 KiB.");
        Assert.Equal(first, second);
        kind.Validate();
    }

    [Fact]
    public void ReallocKeepsContentsAndCanaries()
    {
        using PmemKind kind = Create();
        byte* p = (byte*)kind.Alloc(100);
        for (int i = 0; i < 100; i++) p[i] = (byte)i;
        p = (byte*)kind.Realloc(p, 10_000);
        for (int i = 0; i < 100; i++) Assert.Equal((byte)i, p[i]);
        p = (byte*)kind.Realloc(p, 50);
        for (int i = 0; i < 50; i++) Assert.Equal((byte)i, p[i]);
        kind.Free(p);
        kind.Validate();
    }

    private static int FillCount(MemoryKind kind, nuint size, out List<nint> blocks)
    {
        blocks = new List<nint>();
        void* p;
        while ((p = kind.TryAlloc(size)) != null) blocks.Add((nint)p);
        return blocks.Count;
    }
}
