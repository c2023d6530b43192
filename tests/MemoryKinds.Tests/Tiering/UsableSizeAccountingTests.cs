using MemoryKinds.Engine;

namespace MemoryKinds.Tests.Tiering;

/// <summary>
/// Tiered memory counts usable sizes without looking blocks up: the engine's allocation fast path reports the block
/// size of the page it popped from, and a free returns the size it freed. Both must equal what
/// <see cref="MemoryKind.GetUsableSize"/> says, or the tiers' byte counts drift.
/// </summary>
public unsafe class UsableSizeAccountingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FreshAndFreedUsableSizesMatchTheLookup(bool hardened)
    {
        using PmemKind kind = PmemKind.Create(new PmemConfig(TestDirectories.Tmpfs) { Hardened = hardened });
        var rng = new Random(5);
        var sizes = new List<nuint> { 0, 1, 15, 16, 17, 128, 129, 300, 4096, 65536, 512 << 10, (512 << 10) + 1, 3 << 20 };
        for (int i = 0; i < 2000; i++) sizes.Add((nuint)rng.Next(1, 600 << 10));
        int small = 0, reported = 0;
        foreach (nuint size in sizes)
        {
            void* p = kind.TryAllocWithTable(ThreadHeaps.CurrentTable(), size, out nuint fresh);
            Assert.True(p != null);
            nuint usable = kind.GetUsableSize(p);
            // 0 means unknown without a lookup (the slow path, a large or a hardened block): the caller looks the block up.
            if (fresh != 0) Assert.Equal(usable, fresh);
            if (hardened || size > 512 << 10) Assert.Equal(0u, fresh);
            else small++;
            if (fresh != 0) reported++;
            Assert.Equal(usable, kind.FreeReturningUsableSize(ThreadHeaps.CurrentTable(), p));
        }
        // Freed at once, each block's page stays its bin's current page, so the next one of that bin takes the fast path.
        if (!hardened) Assert.True(reported > small / 2, $"the fast path reported {reported} of {small} small blocks' sizes");
        Assert.Equal(0u, kind.FreeReturningUsableSize(ThreadHeaps.CurrentTable(), null));
        if (!hardened) Assert.Equal(0, kind.GetStats().Allocated); // a hardened kind holds freed blocks in quarantine
    }

    /// <summary>A block freed by a thread that does not own its page (the remote path) reports its size too.</summary>
    [Fact]
    public void AFreeOnAnotherThreadReturnsTheUsableSize()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, 0);
        var blocks = new List<(nint P, nuint Usable)>();
        for (int i = 0; i < 500; i++)
        {
            void* p = kind.Alloc((nuint)(16 + i * 40));
            blocks.Add(((nint)p, kind.GetUsableSize(p)));
        }
        var freed = new List<nuint>();
        var thread = new Thread(() =>
        {
            // The thread's first engine call: it has no table yet, and each free looks it up again, as tiered memory does.
            foreach ((nint p, _) in blocks) freed.Add(kind.FreeReturningUsableSize(ThreadHeaps.CurrentTable(), (void*)p));
        });
        thread.Start();
        thread.Join();
        Assert.Equal(blocks.Select(b => b.Usable), freed);
        Assert.Throws<ArgumentException>(() => kind.FreeReturningUsableSize(ThreadHeaps.CurrentTable(), (void*)blocks[0].P)); // a double free is still refused
    }
}
