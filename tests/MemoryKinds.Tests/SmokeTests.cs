namespace MemoryKinds.Tests;

public unsafe class SmokeTests
{
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void AllocWriteFreeOnEachFileSystem(string fileSystem)
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Get(fileSystem), PmemKind.MinSize);
        byte* p = (byte*)kind.Alloc(100);
        new Span<byte>(p, 100).Fill(0x5a);
        Assert.True(kind.GetUsableSize(p) >= 100);
        Assert.Same(kind, MemoryKind.Detect(p));
        kind.Free(p);
        Assert.Equal(0, kind.GetStats().Allocated);
    }
}
