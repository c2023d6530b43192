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
        // The first call at a new depth may take the thread-static path (and confirm the page); the next must not need it.
        for (int i = 0; i < 2; i++)
        {
            byte* block = (byte*)kind.Alloc(100);
            new Span<byte>(block, 100).Fill((byte)totalKiB);
            Check(ThreadHeaps.Find(kind.Heap.Slot, kind.Heap.Uid) == expected, $"at {totalKiB} KiB deep the thread found another heap");
            kind.Free(block);
        }
        HeapTable* byStack = ThreadHeaps.TableByStack();
        Check(byStack != null && byStack == ThreadHeaps.TableByThreadStatic(),
            $"at {totalKiB} KiB deep the stack lookup found {(byStack == null ? "nothing" : "another table")}");
    }
}
