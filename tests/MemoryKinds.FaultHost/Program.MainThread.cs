using MemoryKinds.Engine;

namespace MemoryKinds.FaultHost;

internal static unsafe partial class Program
{
    /// <summary>
    /// The initial thread's stack range comes from the stack limit, not from a mapping, so the engine starts its range at
    /// the page of the first allocation and deepens it as deeper pages are confirmed. Checked here, where the scenario
    /// really runs on the initial thread (xunit runs tests on pool threads).
    /// </summary>
    private static void MainThreadLookup(string[] args)
    {
        Check(Environment.CurrentManagedThreadId == 1, $"the scenario must run on the initial thread (managed id {Environment.CurrentManagedThreadId})");
        Check(ThreadHeaps.StackLookup, "the stack lookup is off in this process (see ThreadStacks: the libc probe failed or MEMKINDS_THREAD_LOOKUP=tls)");
        using PmemKind kind = PmemKind.Create(args[0]);
        kind.Free(kind.Alloc(64));
        ThreadHeap* heap = ThreadHeaps.Find(kind.Heap.Slot, kind.Heap.Uid);
        Check(heap != null, "no heap after the first allocation");
        foreach (int kib in new[] { 0, 8, 64, 512, 2048 })
        {
            AllocateAtDepth(kind, heap, kib, kib);
            Say($"depth {kib} KiB: stack lookup found the initial thread's table");
        }
        kind.Validate();
    }

    private static void AllocateAtDepth(PmemKind kind, ThreadHeap* expected, int depthKiB, int totalKiB)
    {
        if (depthKiB > 0)
        {
            byte* frame = stackalloc byte[1024];
            frame[0] = (byte)depthKiB;
            AllocateAtDepth(kind, expected, depthKiB - 1, totalKiB);
            Check(frame[0] == (byte)depthKiB, "a stack frame changed under the allocator");
            return;
        }
        // The first calls at a new depth may miss the stack cache (and confirm the deeper page); later ones must not. Counted
        // rather than probed with a lookup of its own, whose frame may sit in another 64 KiB granule than the allocator's.
        long missesAfterFirstRound = 0;
        for (int round = 0; round < 3; round++)
        {
            byte* block = (byte*)kind.Alloc(100);
            new Span<byte>(block, 100).Fill((byte)totalKiB);
            Check(ThreadHeaps.Find(kind.Heap.Slot, kind.Heap.Uid) == expected, $"at {totalKiB} KiB deep the thread found another heap");
            kind.Free(block);
            if (round == 0) missesAfterFirstRound = ThreadHeaps.SlowLookups();
        }
        long misses = ThreadHeaps.SlowLookups() - missesAfterFirstRound;
        Check(misses == 0, $"at {totalKiB} KiB deep the stack lookup still missed {misses} times after the first round");
    }
}
