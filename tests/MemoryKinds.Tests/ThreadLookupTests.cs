using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;
using MemoryKinds.Engine;
using MemoryKinds.Reliability;
using MemoryKinds.Sources;
using MemoryKinds.Tests.Reliability;

namespace MemoryKinds.Tests;

/// <summary>
/// The fast paths find the calling thread's heaps by the address of a local variable (see ThreadHeaps): a thread must
/// only ever find its own heaps, also when it runs on the stack of a thread that has exited.
/// </summary>
[Collection(ProcessResourcesCollection.Name)]
public unsafe class ThreadLookupTests
{
    private const int SmallStack = 256 << 10;

    [Fact]
    public void TheStackLookupIsOnHere()
    {
        // Off, every alloc and free would pay a thread-static lookup (a C library call) and the speed targets would be missed.
        Assert.True(ThreadHeaps.StackLookup,
            "The stack lookup is off: the pthread_mutexattr_init probe failed, pthread_getattr_np does not work, or MEMKINDS_THREAD_LOOKUP=tls is set.");
        Assert.True(ThreadStacks.TryGetCurrent(out nuint low, out nuint top, out bool initial));
        byte marker;
        nuint here = (nuint)(&marker);
        Assert.True(low <= here && here < top, $"A local at 0x{here:x} is outside the reported stack [0x{low:x}, 0x{top:x}).");
        Assert.False(initial, "xunit runs tests on pool threads, not on the initial thread.");
    }

    [Fact]
    public void AfterOneAllocationTheStackLookupFindsTheThreadsOwnTable()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs);
        RunOnNewThread(() =>
        {
            AllocAndFreeWithoutSlowLookups(kind);
            byte marker;
            Assert.True(ThreadHeaps.TableByThreadStatic()->Holds((nuint)(&marker)), "The thread's table does not hold its own stack.");
            Assert.True(ThreadHeaps.Find(kind.Heap.Slot, kind.Heap.Uid) != null);
        });
    }

    [Fact]
    public void AThreadStartedOnAnExitedThreadsStackFindsNoneOfItsHeaps()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs);
        (int slot, long uid) = (kind.Heap.Slot, kind.Heap.Uid);
        var exitedTops = new HashSet<nuint>();
        int reused = 0, foundBeforeAllocating = 0;
        // No garbage collection, so no exited thread's sentinel can be finalized: only the C library's thread-exit hook
        // can have emptied its table's range by the time a new thread runs on the same stack. Each thread checks, before
        // allocating, whether it runs on the stack of a thread that allocated and exited (glibc hands a cached stack to
        // the next thread of the same size once the old thread is fully gone), then allocates itself.
        Assert.True(GC.TryStartNoGCRegion(16 << 20), "Could not start a no-GC region.");
        try
        {
            for (int attempt = 0; attempt < 100 && reused < 10; attempt++)
            {
                RunOnNewThread(() =>
                {
                    Assert.True(ThreadStacks.TryGetCurrent(out _, out nuint top, out _));
                    if (exitedTops.Contains(top))
                    {
                        reused++;
                        if (ThreadHeaps.Find(slot, uid) != null || ThreadHeaps.TableByStack() != null) foundBeforeAllocating++;
                    }
                    AllocAndFreeWithoutSlowLookups(kind);
                    Assert.True(ThreadHeaps.Find(slot, uid) != null, "A thread did not find its own heap.");
                    exitedTops.Add(top);
                });
            }
        }
        finally
        {
            if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
        Assert.True(reused > 0, "No thread ran on the stack of an exited thread in 100 tries (glibc normally reuses them).");
        Assert.True(foundBeforeAllocating == 0, $"{foundBeforeAllocating} of {reused} threads on an exited thread's stack found that thread's heap or table.");
    }

    [Fact]
    public void ThreadsComingAndGoingNeverShareAHeap()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs);
        (int slot, long uid) = (kind.Heap.Slot, kind.Heap.Uid);
        var liveHeaps = new ConcurrentDictionary<nint, int>();
        var handOff = new ConcurrentQueue<nint>();
        var errors = new ConcurrentQueue<string>();
        for (int wave = 0; wave < 20; wave++)
        {
            var threads = new Thread[8];
            for (int t = 0; t < threads.Length; t++)
            {
                int id = wave * 100 + t;
                threads[t] = new Thread(() =>
                {
                    var random = new Random(id);
                    var mine = new List<nint>();
                    for (int i = 0; i < 200; i++)
                    {
                        byte* block = (byte*)kind.Alloc((nuint)random.Next(1, 2000));
                        *block = (byte)id;
                        mine.Add((nint)block);
                    }
                    nint heap = (nint)ThreadHeaps.Find(slot, uid);
                    if (heap == 0) errors.Enqueue($"thread {id} has no heap after allocating");
                    else if (!liveHeaps.TryAdd(heap, id)) errors.Enqueue($"thread {id} found the heap of live thread {liveHeaps[heap]}");
                    // Free half here, hand half to the next wave (cross-thread frees into pages of exited threads).
                    for (int i = 0; i < mine.Count; i++)
                    {
                        if (i % 2 == 0) kind.Free((void*)mine[i]);
                        else handOff.Enqueue(mine[i]);
                    }
                    for (int i = 0; i < 50 && handOff.TryDequeue(out nint other); i++) kind.Free((void*)other);
                    if (heap != 0) liveHeaps.TryRemove(heap, out _);
                }, SmallStack);
            }
            foreach (Thread thread in threads) thread.Start();
            foreach (Thread thread in threads) thread.Join();
            if (wave % 5 == 4) GC.Collect(); // let dead threads' heaps become orphans that new threads adopt
        }
        while (handOff.TryDequeue(out nint block)) kind.Free((void*)block);
        Assert.True(errors.IsEmpty, string.Join("\n", errors));
        kind.Validate();
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    [Fact]
    public void ThreadNumbersDifferAmongLiveThreadsAndAreReusedWithoutWaitingForAGC()
    {
        // Tiered memory's counters give each number a stripe that only its thread writes: two running threads must never
        // share a number, and churning threads must not make numbers (and stripes) grow, GC or not.
        var errors = new ConcurrentQueue<string>();
        var live = new ConcurrentDictionary<int, int>();
        var seen = new ConcurrentDictionary<int, bool>();
        int highestBefore = ThreadNumbers.Highest;
        for (int wave = 0; wave < 150; wave++)
        {
            using var together = new Barrier(4);
            var threads = new Thread[4];
            for (int t = 0; t < threads.Length; t++)
            {
                int id = wave * 10 + t;
                threads[t] = new Thread(() =>
                {
                    int number = ThreadHeaps.CurrentThreadNumber();
                    seen[number] = true;
                    if (!live.TryAdd(number, id)) errors.Enqueue($"thread {id} got number {number}, which live thread {live[number]} holds");
                    together.SignalAndWait(); // all four alive at once
                    if (ThreadHeaps.CurrentThreadNumber() != number) errors.Enqueue($"thread {id}'s number changed while it ran");
                    live.TryRemove(number, out _);
                }, SmallStack);
            }
            foreach (Thread thread in threads) thread.Start();
            foreach (Thread thread in threads) thread.Join();
        }
        Assert.True(errors.IsEmpty, string.Join("\n", errors.Take(5)));
        // 600 threads, four at a time: an ended thread's number comes back as soon as the kernel has let the thread go,
        // so the churn draws new numbers only while the last waves' threads are still on their way out. (How many
        // distinct numbers it uses depends on earlier tests: a burst of 50 threads leaves 50 numbers to hand out.)
        // Before numbers were given back early, 2,000 such threads drew up to 1,234 numbers; without it, 600 drew 511.
        int grown = ThreadNumbers.Highest - highestBefore;
        Assert.True(grown <= 32, $"600 threads, four alive at a time, drew {grown} new numbers ({seen.Count} distinct in use).");
    }

    [Fact]
    public void ANumberComesBackEarlyOnlyOnceTheKernelNoLongerKnowsItsThread()
    {
        // A table whose exit hook has run (armed, StackSize 0): the C library may still run destructors on its thread, so
        // its number, which indexes counts only that thread writes, may come back only once the thread has ended.
        var table = (HeapTable*)NativeMemory.AllocZeroed((nuint)sizeof(HeapTable));
        try
        {
            table->ExitHookArmed = true;
            Assert.True(table->HasExited);
            (table->ProcessId, table->ThreadId) = ThreadStacks.CurrentIds(); // a thread that is running: this one
            ThreadNumbers.Assign(table);
            int number = table->Number;
            Assert.NotEqual(0, number);
            ThreadNumbers.ReclaimFromEndedThreads();
            Assert.Equal(number, table->Number);

            int endedThread = 0;
            var thread = new Thread(() => endedThread = ThreadStacks.CurrentIds().ThreadId);
            thread.Start();
            thread.Join();
            var waited = Stopwatch.StartNew();
            while (Directory.Exists($"/proc/self/task/{endedThread}") && waited.ElapsedMilliseconds < 10_000) Thread.Sleep(1);
            Assert.False(Directory.Exists($"/proc/self/task/{endedThread}"), $"thread {endedThread} was still listed 10 s after its join");

            table->ProcessId++; // ids recorded by another process (a fork child holds its parent's): never taken back early
            table->ThreadId = endedThread;
            ThreadNumbers.ReclaimFromEndedThreads();
            Assert.Equal(number, table->Number);

            table->ProcessId--;
            Assert.True(ThreadNumbers.ReclaimFromEndedThreads() >= 1);
            Assert.Equal(0, table->Number);
        }
        finally
        {
            ThreadNumbers.Release(table);
            NativeMemory.Free(table);
        }
    }

    [Fact]
    public void OnTheInitialThreadTheLookupFollowsTheStackAsItDeepens()
        => FaultHost.RunAndAssertPass("main-thread-lookup", TestDirectories.Ext4);

    [Fact]
    public void WithTheLookupSwitchedOffThreadStaticsServeAndTheStressRunPasses()
    {
        var off = new Dictionary<string, string> { ["MEMKINDS_THREAD_LOOKUP"] = "tls" };
        (int code, string output) = FaultHost.Run("main-thread-lookup", [TestDirectories.Ext4], environment: off);
        Assert.True(code == 1 && output.Contains("the stack lookup is off", StringComparison.Ordinal),
            $"MEMKINDS_THREAD_LOOKUP=tls did not switch the stack lookup off ({FaultHost.Describe(code)}):\n{output}");
        FaultHost.AssertPassed("stress", FaultHost.Run("stress", [TestDirectories.Tmpfs, "Default", "2", "4", "7"], environment: off));
    }

    /// <summary>
    /// An alloc+free pair, then a second one that must be served by the stack cache alone: counted, not probed with a lookup
    /// of the test's own, whose frame may lie in another 64 KiB granule than the allocator's.
    /// </summary>
    private static void AllocAndFreeWithoutSlowLookups(PmemKind kind)
    {
        kind.Free(kind.Alloc(64));
        long before = ThreadHeaps.SlowLookups();
        kind.Free(kind.Alloc(64));
        long misses = ThreadHeaps.SlowLookups() - before;
        Assert.True(misses == 0, $"After one alloc+free pair the next still missed the stack cache {misses} times.");
    }

    private static void RunOnNewThread(Action body) => ThreadRunner.Run(body, SmallStack);
}
