namespace MemoryKinds.Tests;

/// <summary>
/// Frees from a thread that does not own the block's page: one atomic OR of the block's pending bit, collected later by
/// the owner from the page's bitmap. A second free must still be refused from either side, and the owner must get every
/// block back.
/// </summary>
public unsafe class RemoteFreeTests
{
    [Fact]
    public void ASecondFreeOfABlockPendingARemoteFreeIsRefusedOnBothSides()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, 0);
        var blocks = new nint[300];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = (nint)kind.Alloc(48);
        RunOnOtherThread(() =>
        {
            foreach (nint p in blocks) kind.Free((void*)p);
            Assert.Throws<ArgumentException>(() => kind.Free((void*)blocks[7])); // pending: refused on the freeing side
        });
        Assert.Throws<ArgumentException>(() => kind.Free((void*)blocks[8]));      // pending: refused by the owner
        Assert.Throws<ArgumentException>(() => kind.GetUsableSize((void*)blocks[9]));
        Assert.Equal(0, kind.GetStats().Allocated);                               // pending blocks are not counted as live
        kind.Validate();
        // The owner takes the blocks back: allocating as many again reuses the page (no new storage).
        long reserved = kind.GetStats().Resident;
        var again = new List<nint>();
        for (int i = 0; i < blocks.Length; i++) again.Add((nint)kind.Alloc(48));
        Assert.Equal(reserved, kind.GetStats().Resident);
        // Blocks the owner had carved but not handed out go first; the rest are the collected ones.
        Assert.True(again.Count(blocks.Contains) >= blocks.Length * 3 / 4, $"{again.Count(blocks.Contains)} of {blocks.Length} freed blocks were reused.");
        kind.Validate();
        foreach (nint p in again) kind.Free((void*)p);
        Assert.Throws<ArgumentException>(() => kind.Free((void*)again[0]));
    }

    /// <summary>A producer allocates while a consumer frees its blocks: the producer refills from the consumer's frees on its fast path.</summary>
    [Fact]
    public void AProducerRefillsFromWhatItsConsumerFrees()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, 16L << 20);
        var queue = new System.Collections.Concurrent.BlockingCollection<nint>(4096);
        var consumer = new Thread(() =>
        {
            foreach (nint p in queue.GetConsumingEnumerable())
            {
                Assert.Equal((byte)(p >> 4), *(byte*)p);
                kind.Free((void*)p);
            }
        });
        consumer.Start();
        // 2 million 64-byte blocks (128 MB) through a 16 MiB kind: only reuse of the consumer's frees can keep up.
        for (int i = 0; i < 2_000_000; i++)
        {
            void* p = kind.Alloc(64);
            *(byte*)p = (byte)((nint)p >> 4);
            queue.Add((nint)p);
        }
        queue.CompleteAdding();
        consumer.Join();
        Assert.Equal(0, kind.GetStats().Allocated);
        kind.Validate();
    }

    private static void RunOnOtherThread(Action body)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { body(); }
            catch (Exception e) { failure = e; }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new Xunit.Sdk.XunitException($"on the other thread: {failure}");
    }
}
