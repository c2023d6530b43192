using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MemoryKinds.Sources;

namespace MemoryKinds.Engine;

/// <summary>
/// Each thread's table of heaps, one per kind slot. The fast paths find the calling thread's table from the address of a
/// local variable: a thread-static read compiles to a call into the C library (<c>__tls_get_addr</c>), which alone cost
/// more than the rest of an alloc+free pair. When a thread dies, a finalizable sentinel hands its heaps to their kinds as
/// orphans, so the blocks and pages it cached are not stranded.
/// </summary>
/// <remarks>
/// Why a stack address identifies a thread: the stacks of live threads are disjoint, so an address inside a table's
/// [StackTop - StackSize, StackTop) can only be on that table's thread. A dead thread's stack can be reused by a new
/// thread, so its range must be emptied first: the C library's thread-exit hook (<see cref="ThreadStacks"/>) zeroes
/// StackSize in the exiting thread, before the stack can be handed on. A stack that is not a thread's own (a host that
/// switches stacks) never falls in any range and takes the thread-static path, which stays the source of truth.
/// </remarks>
internal static unsafe class ThreadHeaps
{
    private const int StackCacheSize = 4096;

    [ThreadStatic] private static HeapTable* t_table;
    [ThreadStatic] private static ThreadExitSentinel? t_sentinel;

    /// <summary>
    /// Recently seen 64 KiB stack granules and the table whose range holds them; never null (an empty range at worst).
    /// 4,096 entries span 256 MiB, so the stacks of up to hundreds of threads land on distinct entries.
    /// </summary>
    private static readonly HeapTable** s_byStack = NewStackCache();
    private static readonly Dictionary<nuint, Stack<nint>> s_releasedByTop = new();

    /// <summary>Whether tables are found by stack address (false: thread-statics only; see <see cref="ThreadStacks"/>).</summary>
    internal static bool StackLookup { get; } = ThreadStacks.IsAvailable;

    /// <summary>The calling thread's heap for the kind in <paramref name="slot"/> with <paramref name="uid"/>, or null.</summary>
    /// <remarks>
    /// The uid check matters: after a kind is disposed its slot can go to a new kind, and a call made on the disposed kind
    /// object must not land in the new kind's heap. KindUid sits on the same cache line as Busy and Blocked.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ThreadHeap* Find(int slot, long uid) => Find(CurrentTable(), slot, uid);

    /// <summary>
    /// The calling thread's table, or null before its first allocation. Callers that make several engine calls in one
    /// operation (tiered memory: the kind's heap and the thread's counter stripe) look it up once and pass it on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static HeapTable* CurrentTable()
    {
        byte marker;
        nuint stack = (nuint)(&marker);
        HeapTable* table = s_byStack[StackHash(stack)];
        return table->Holds(stack) ? table : CurrentTableSlow(stack);
    }

    /// <summary>The heap in <paramref name="table"/> (the calling thread's, or null) for the kind in <paramref name="slot"/> with <paramref name="uid"/>, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ThreadHeap* Find(HeapTable* table, int slot, long uid)
    {
        if (table == null) return null;
        // Inline slots first, without reading OverflowCount: written out rather than through Entry, which measured ~0.4 ns
        // slower per alloc+free pair.
        ThreadHeap* heap;
        if ((uint)slot < HeapTable.InlineSlots) heap = (ThreadHeap*)table->Inline[slot];
        else if ((uint)slot < (uint)table->SlotCount) heap = *table->Entry(slot);
        else return null;
        return heap != null && heap->KindUid == uid ? heap : null;
    }

    /// <summary>The calling thread's heap for <paramref name="kind"/>, attaching one if needed.</summary>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public static ThreadHeap* GetOrAttach(KindHeap kind)
    {
        ThreadHeap* heap = Find(kind.Slot, kind.Uid);
        if (heap != null) return heap;
        return kind.AttachHeap(EnsureTable(kind.Slot));
    }

    /// <summary>
    /// A number of the calling thread that no other running thread has (its table's, see <see cref="ThreadNumbers"/>),
    /// found like the fast paths find the heaps: a thread-static read would be a call into the C library. As few as the
    /// threads alive at once: an ended thread's number is reused.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CurrentThreadNumber()
    {
        byte marker;
        nuint stack = (nuint)(&marker);
        HeapTable* table = s_byStack[StackHash(stack)];
        return table->Holds(stack) ? table->Number : CurrentThreadNumberSlow(stack);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int CurrentThreadNumberSlow(nuint stack)
    {
        HeapTable* table = CurrentTableSlow(stack);
        if (table == null) table = EnsureTable(0);
        return table->Number;
    }

    /// <summary>The table the stack lookup alone finds for the calling thread, or null (diagnostics; no fallback, no update).</summary>
    internal static HeapTable* TableByStack()
    {
        byte marker;
        nuint stack = (nuint)(&marker);
        HeapTable* table = s_byStack[StackHash(stack)];
        return table->Holds(stack) ? table : null;
    }

    /// <summary>The calling thread's table as its thread-static says, or null (diagnostics).</summary>
    internal static HeapTable* TableByThreadStatic() => t_table;

    /// <summary>How many of the calling thread's lookups missed the stack cache so far (diagnostics; 0 before its first allocation).</summary>
    internal static long SlowLookups() => t_table == null ? 0 : t_table->SlowLookups;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint StackHash(nuint stack) => (stack >> 16) & (StackCacheSize - 1);

    /// <summary>The thread-static table, remembered for the stack granule of <paramref name="stack"/> when it is the thread's own.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static HeapTable* CurrentTableSlow(nuint stack)
    {
        HeapTable* table = t_table;
        if (table == null) return null;
        table->SlowLookups++;
        if (table->Holds(stack) || TryDeepen(table, stack)) s_byStack[StackHash(stack)] = table;
        return table;
    }

    /// <summary>
    /// The initial thread's range starts at the page it first allocated from, since glibc derives that thread's range from
    /// the stack limit. A deeper address is added once the C library confirms it is within the thread's stack (no mapping
    /// between it and the stack), a bounded number of times.
    /// </summary>
    private static bool TryDeepen(HeapTable* table, nuint stack)
    {
        if (!table->IsInitialThread || table->DeepenBudget <= 0 || stack >= table->StackTop) return false;
        table->DeepenBudget--;
        if (!ThreadStacks.TryGetCurrent(out nuint low, out nuint top, out _) || top != table->StackTop || stack < low) return false;
        nuint size = top - (stack & ~(nuint)(Environment.SystemPageSize - 1));
        if (size > uint.MaxValue) return false;
        Volatile.Write(ref table->StackSize, size);
        return true;
    }

    private static HeapTable* EnsureTable(int slot)
    {
        HeapTable* table = t_table;
        if (table == null)
        {
            byte marker;
            table = TakeTable((nuint)(&marker));
            t_table = table;
            t_sentinel = new ThreadExitSentinel(table);
        }
        int needed = slot - HeapTable.InlineSlots + 1;
        if (needed > table->OverflowCount)
        {
            int count = Math.Max(needed, Math.Max(16, table->OverflowCount * 2));
            var overflow = (ThreadHeap**)NativeMemory.AllocZeroed((nuint)count, (nuint)sizeof(ThreadHeap*));
            if (table->Overflow != null)
            {
                Buffer.MemoryCopy(table->Overflow, overflow, (long)count * sizeof(ThreadHeap*), (long)table->OverflowCount * sizeof(ThreadHeap*));
                NativeMemory.Free(table->Overflow);
            }
            table->Overflow = overflow;
            table->OverflowCount = count;
        }
        return table;
    }

    /// <summary>A table for the calling thread: one released by a dead thread whose stack had the same top, or a new one.</summary>
    private static HeapTable* TakeTable(nuint stack)
    {
        nuint top = 0, size = 0;
        bool initial = false;
        if (StackLookup && ThreadStacks.TryGetCurrent(out nuint low, out top, out initial))
        {
            // The initial thread's reported range may include unmapped space below its stack: start at the current page.
            size = initial ? top - (stack & ~(nuint)(Environment.SystemPageSize - 1)) : top - low;
            if (size > uint.MaxValue) size = 0;
        }
        HeapTable* table = null;
        lock (s_releasedByTop)
        {
            if (s_releasedByTop.TryGetValue(top, out Stack<nint>? released) && released.Count > 0) table = (HeapTable*)released.Pop();
        }
        if (table == null)
        {
            table = (HeapTable*)NativeMemory.AllocZeroed((nuint)sizeof(HeapTable));
            table->StackTop = top;
        }
        table->IsInitialThread = initial;
        table->DeepenBudget = initial ? 64 : 0;
        table->ExitHookArmed = size != 0;
        if (size != 0)
        {
            ThreadStacks.ZeroAtThreadExit(&table->StackSize);
            Volatile.Write(ref table->StackSize, size);
        }
        // Numbered last, once the table no longer reads as its dead thread's (exit hook armed, StackSize 0): another
        // thread's Assign may look at it as soon as it is a holder.
        (table->ProcessId, table->ThreadId) = StackLookup ? ThreadStacks.CurrentIds() : (0, 0);
        ThreadNumbers.Assign(table);
        return table;
    }

    /// <summary>Runs on the finalizer thread once the owning thread has died and its statics are gone.</summary>
    private static void OnThreadExit(HeapTable* table)
    {
        // Normally already zeroed by the C library's exit hook, in the exiting thread.
        Volatile.Write(ref table->StackSize, 0);
        for (int slot = 0; slot < table->SlotCount; slot++)
        {
            // Swapped out, not read: a kind may have taken the heap over already (KindHeap.AdoptFromDeadThread).
            var heap = (ThreadHeap*)Interlocked.Exchange(ref *(nint*)table->Entry(slot), 0);
            if (heap == null) continue;
            KindHeap? kind = KindRegistry.At(slot);
            if (kind is null || !kind.OrphanHeap(heap)) KindHeap.FreeHeap(heap);
        }
        NativeMemory.Free(table->Overflow);
        table->Overflow = null;
        table->OverflowCount = 0;
        ThreadNumbers.Release(table);
        lock (s_releasedByTop)
        {
            if (!s_releasedByTop.TryGetValue(table->StackTop, out Stack<nint>? released)) s_releasedByTop[table->StackTop] = released = new Stack<nint>();
            released.Push((nint)table);
        }
    }

    private static HeapTable** NewStackCache()
    {
        var empty = (HeapTable*)NativeMemory.AllocZeroed((nuint)sizeof(HeapTable));
        var cache = (HeapTable**)NativeMemory.Alloc(StackCacheSize, (nuint)sizeof(HeapTable*));
        for (int i = 0; i < StackCacheSize; i++) cache[i] = empty;
        return cache;
    }

    private sealed class ThreadExitSentinel(HeapTable* table)
    {
        ~ThreadExitSentinel() => OnThreadExit(table);
    }
}
