using System.Runtime;
using MemoryKinds.Engine;
using MemoryKinds.Reliability;

namespace MemoryKinds.FaultHost;

internal static unsafe partial class Program
{
    /// <summary>
    /// A new thread takes over an exited thread's heap as soon as the exit hook has run, with no GC in between, and the
    /// GC's later finalization of the dead thread leaves the heap to its new owner. In a process of its own: a test
    /// host's other tests allocate, and a GC there would let the finalizer claim the heap first (also correct, but not
    /// what is checked here).
    /// </summary>
    private static void DeadThreadTakeover(string[] args)
    {
        Check(ThreadHeaps.StackLookup, "the stack lookup is off in this process, so exits are seen only by the GC's finalizer");
        using PmemKind kind = PmemKind.Create(args[0]);
        (int slot, long uid) = (kind.Heap.Slot, kind.Heap.Uid);
        var kept = new List<nint>();
        ThreadHeap* deadHeap = null, takenOver = null, other = null;
        HeapTable* deadTable = null;
        using var adopterMayExit = new ManualResetEventSlim();
        Check(GC.TryStartNoGCRegion(16 << 20), "could not start a no-GC region");
        int gcsBefore = GC.CollectionCount(0);
        ThreadRunner.Run(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                void* p = kind.Alloc(64);
                if (i % 2 == 0) kind.Free(p);
                else kept.Add((nint)p);
            }
            deadHeap = ThreadHeaps.Find(slot, uid);
            deadTable = ThreadHeaps.TableByThreadStatic();
        });
        Check(deadHeap != null && deadTable != null, "the first thread had no heap");
        // The hook runs in the exiting thread, possibly after Join has returned here.
        for (int waited = 0; !deadTable->HasExited && waited < 10_000; waited += 10) Thread.Sleep(10);
        Check(deadTable->HasExited, "the exited thread's table was not marked by the exit hook within 10 s");
        long activeBefore = kind.GetStats().Active;
        var adopter = new Thread(() =>
        {
            void* p = kind.Alloc(64);
            takenOver = ThreadHeaps.Find(slot, uid);
            adopterMayExit.Wait();
            kind.Free(p);
        }) { IsBackground = true }; // a failed check must not leave the process waiting for it
        adopter.Start();
        for (int waited = 0; takenOver == null && waited < 10_000; waited += 10) Thread.Sleep(10);
        Check(GC.CollectionCount(0) == gcsBefore, "a GC ran during the no-GC region: the check is void");
        Check(takenOver == deadHeap, "the new thread did not take over the dead thread's heap");
        Check(kind.GetStats().Active == activeBefore, "the new thread needed a new page although the dead thread's heap had free blocks");
        Say("a new thread took over the exited thread's heap without a GC");
        GC.EndNoGCRegion();

        // The dead thread's sentinel is finalized now; it must not orphan the heap its successor is using.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        ThreadRunner.Run(() =>
        {
            kind.Free(kind.Alloc(64));
            other = ThreadHeaps.Find(slot, uid);
        });
        Check(other != null && other != deadHeap, "a third thread got the heap a live thread is using");
        Say("after the GC finalized the dead thread, a third thread got a heap of its own");
        adopterMayExit.Set();
        adopter.Join();
        foreach (nint p in kept) kind.Free((void*)p);
        kind.Validate();
        Check(kind.GetStats().Allocated == 0, "blocks are still allocated after freeing them all");
    }
}
