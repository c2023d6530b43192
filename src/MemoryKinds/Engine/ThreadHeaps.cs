using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MemoryKinds.Engine;

/// <summary>
/// Each thread's table of heaps, one per kind slot, reached through one thread-static pointer. When a thread dies,
/// a finalizable sentinel hands its heaps to their kinds as orphans, so the blocks and pages it cached are not stranded.
/// </summary>
internal static unsafe class ThreadHeaps
{
    [ThreadStatic] private static HeapTable* t_table;
    [ThreadStatic] private static ThreadExitSentinel? t_sentinel;

    /// <summary>The calling thread's heap for the kind in <paramref name="slot"/> with <paramref name="uid"/>, or null.</summary>
    /// <remarks>
    /// The uid check matters: after a kind is disposed its slot can go to a new kind, and a call made on the disposed kind
    /// object must not land in the new kind's heap. KindUid sits on the same cache line as Busy and Blocked.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ThreadHeap* Find(int slot, long uid)
    {
        HeapTable* table = t_table;
        if (table == null || (uint)slot >= (uint)table->Count) return null;
        ThreadHeap* heap = table->Heaps[slot];
        return heap != null && heap->KindUid == uid ? heap : null;
    }

    /// <summary>The calling thread's heap for <paramref name="kind"/>, attaching one if needed.</summary>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public static ThreadHeap* GetOrAttach(KindHeap kind)
    {
        ThreadHeap* heap = Find(kind.Slot, kind.Uid);
        if (heap != null) return heap;
        HeapTable* table = EnsureTable(kind.Slot);
        return kind.AttachHeap(ref table->Heaps[kind.Slot]);
    }

    private static HeapTable* EnsureTable(int slot)
    {
        HeapTable* table = t_table;
        if (table == null)
        {
            table = (HeapTable*)NativeMemory.AllocZeroed((nuint)sizeof(HeapTable));
            t_table = table;
            t_sentinel = new ThreadExitSentinel(table);
        }
        if (slot >= table->Count)
        {
            int count = Math.Max(slot + 1, Math.Max(16, table->Count * 2));
            var heaps = (ThreadHeap**)NativeMemory.AllocZeroed((nuint)count, (nuint)sizeof(ThreadHeap*));
            if (table->Heaps != null)
            {
                Buffer.MemoryCopy(table->Heaps, heaps, (long)count * sizeof(ThreadHeap*), (long)table->Count * sizeof(ThreadHeap*));
                NativeMemory.Free(table->Heaps);
            }
            table->Heaps = heaps;
            table->Count = count;
        }
        return table;
    }

    /// <summary>Runs on the finalizer thread once the owning thread has died and its statics are gone.</summary>
    private static void OnThreadExit(HeapTable* table)
    {
        for (int slot = 0; slot < table->Count; slot++)
        {
            ThreadHeap* heap = table->Heaps[slot];
            if (heap == null) continue;
            KindHeap? kind = KindRegistry.At(slot);
            if (kind is null || !kind.OrphanHeap(heap)) KindHeap.FreeHeap(heap);
        }
        NativeMemory.Free(table->Heaps);
        NativeMemory.Free(table);
    }

    private sealed class ThreadExitSentinel(HeapTable* table)
    {
        ~ThreadExitSentinel() => OnThreadExit(table);
    }
}
