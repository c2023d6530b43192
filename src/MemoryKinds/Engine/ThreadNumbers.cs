using MemoryKinds.Sources;

namespace MemoryKinds.Engine;

/// <summary>
/// Numbers for the threads' heap tables: distinct among the threads holding one, and as few as the threads alive at
/// once, because a number comes back as soon as its thread has ended (tiered memory gives each number a stripe of
/// counts that only its thread writes, so a number must never serve two running threads).
/// </summary>
/// <remarks>
/// A table's number is given back by the finalizer that releases the table (after a GC), or earlier: when no number is
/// free, the holders whose exit hook has run and whose thread the kernel no longer knows give theirs back. The exit hook
/// alone is not enough, since C code may still run on the thread (other key destructors), and a thread-static-only
/// table (no exit hook) waits for its finalizer.
/// </remarks>
internal static unsafe class ThreadNumbers
{
    private static readonly Lock s_lock = new();
    private static readonly Stack<int> s_free = new();
    private static readonly HashSet<nint> s_holders = [];
    private static int s_highest;

    /// <summary>The highest number drawn so far (diagnostics: it grows only when no number was free).</summary>
    internal static int Highest
    {
        get
        {
            lock (s_lock) return s_highest;
        }
    }

    /// <summary>Gives <paramref name="table"/>, just taken by the calling thread, a number no other holder has.</summary>
    public static void Assign(HeapTable* table)
    {
        lock (s_lock)
        {
            if (s_free.Count == 0) ReclaimEndedLocked();
            table->Number = s_free.TryPop(out int number) ? number : ++s_highest;
            s_holders.Add((nint)table);
        }
    }

    /// <summary>Takes back the number of <paramref name="table"/>, whose thread has ended (if it was not taken back already).</summary>
    public static void Release(HeapTable* table)
    {
        lock (s_lock) Reclaim(table);
    }

    /// <summary>Takes back the numbers of every holder whose thread has ended; returns how many (tests call it).</summary>
    internal static int ReclaimFromEndedThreads()
    {
        lock (s_lock) return ReclaimEndedLocked();
    }

    private static int ReclaimEndedLocked()
    {
        List<nint>? ended = null;
        foreach (nint holder in s_holders)
        {
            var table = (HeapTable*)holder;
            if (table->HasExited && table->ThreadId != 0 && ThreadStacks.HasEnded(table->ProcessId, table->ThreadId)) (ended ??= []).Add(holder);
        }
        if (ended is null) return 0;
        foreach (nint holder in ended) Reclaim((HeapTable*)holder);
        // The ended threads' last stores to what their numbers index (tiered memory's stripes) come before their exit in
        // the kernel, which orders them before its ESRCH; the fence keeps the next holder's accesses after both.
        Interlocked.MemoryBarrier();
        return ended.Count;
    }

    private static void Reclaim(HeapTable* table)
    {
        if (!s_holders.Remove((nint)table)) return;
        s_free.Push(table->Number);
        table->Number = 0;
    }
}
