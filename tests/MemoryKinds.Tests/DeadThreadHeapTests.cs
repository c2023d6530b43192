using System.Runtime;
using MemoryKinds.Engine;
using MemoryKinds.Tests.Reliability;

namespace MemoryKinds.Tests;

/// <summary>
/// A thread that exits leaves its heap (pages, cached blocks) to the next thread that attaches to the kind, as soon as
/// the C library's exit hook has run: without waiting for the GC to finalize the thread's sentinel, which a program
/// that allocates only off-heap may not do for a long time.
/// </summary>
[Collection(ProcessResourcesCollection.Name)]
public unsafe class DeadThreadHeapTests
{
    [Fact]
    public void ANewThreadTakesOverADeadThreadsHeapWithoutAGcAndTheFinalizerLeavesItAlone()
    {
        Assert.True(ThreadHeaps.StackLookup, "The stack lookup is off here, so exits are seen only by the GC's finalizer.");
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs);
        (int slot, long uid) = (kind.Heap.Slot, kind.Heap.Uid);
        var kept = new List<nint>();
        ThreadHeap* deadHeap = null;
        HeapTable* deadTable = null;
        ThreadHeap* takenOver = null, other = null;
        using var takenOverMayExit = new ManualResetEventSlim();
        Thread? adopter = null;
        // No GC until the heap has been taken over: only the exit hook can have told the kind that the thread is gone.
        Assert.True(GC.TryStartNoGCRegion(16 << 20), "Could not start a no-GC region.");
        try
        {
            Run(() =>
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
            Assert.True(deadHeap != null && deadTable != null, "The first thread had no heap.");
            // The hook runs in the exiting thread after Join has returned here: give it a moment.
            for (int waited = 0; !deadTable->HasExited && waited < 10_000; waited += 10) Thread.Sleep(10);
            Assert.True(deadTable->HasExited, "The exited thread's table was not marked by the exit hook within 10 s.");
            long activeBefore = kind.GetStats().Active;

            adopter = new Thread(() =>
            {
                void* p = kind.Alloc(64);
                takenOver = ThreadHeaps.Find(slot, uid);
                takenOverMayExit.Wait();
                kind.Free(p);
            });
            adopter.Start();
            for (int waited = 0; takenOver == null && waited < 10_000; waited += 10) Thread.Sleep(10);
            Assert.True(takenOver == deadHeap, "The new thread did not take over the dead thread's heap.");
            Assert.Equal(activeBefore, kind.GetStats().Active);
        }
        finally
        {
            if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
        try
        {
            // The dead thread's sentinel is finalized now; it must not orphan the heap its successor is using.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Run(() =>
            {
                kind.Free(kind.Alloc(64));
                other = ThreadHeaps.Find(slot, uid);
            });
            Assert.True(other != null && other != deadHeap, "A third thread got the heap a live thread is using.");
        }
        finally
        {
            takenOverMayExit.Set();
            adopter?.Join();
        }
        foreach (nint p in kept) kind.Free((void*)p);
        kind.Validate();
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    private static void Run(Action body)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null) throw new InvalidOperationException("The thread failed: " + error.Message, error);
    }
}
