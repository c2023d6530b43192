using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MemoryKinds.Engine;

// The engine's core types, gathered in one place. All of them live in native memory: no GC references, no write
// barriers, no bounds checks on the fast paths.
//
// Concurrency invariants (read these before changing any path):
//  * A small page belongs to one ThreadHeap (its Owner). Only the thread of that heap touches Free, Used, Capacity,
//    the page's list links and the "allocated" bits of its blocks, and it does so either on a fast path (heap.Busy == 1,
//    heap.Blocked == 0, no lock) or under the kind's lock.
//  * Any other thread frees into a page by setting the block's "pending" bit (one atomic OR, whose old value refuses a
//    second free) and raising the page's HasPending flag; the owner collects the pending bits of its page (clears the
//    flag, then scans the page's bitmap words) on its fast path or under the lock, and a lock holder may collect them
//    for the owner after the handshake below.
//  * Code holding the kind's lock may touch another thread's heap only after setting heap.Blocked, a process-wide
//    memory barrier, and seeing heap.Busy == 0 (an asymmetric Dekker handshake: the fast path pays two plain stores).
//  * A thread never holds Busy == 1 while it waits for the kind's lock.

/// <summary>A free block: the first word links to the next free block of the same page.</summary>
internal unsafe struct Block
{
    public Block* Next;
}

internal enum SliceState : byte
{
    /// <summary>Part of a free span (or never used).</summary>
    Free,
    /// <summary>Part of a small page of equally sized blocks.</summary>
    Small,
    /// <summary>Part of a large span holding one block.</summary>
    Large,
}

/// <summary>
/// Metadata of one 64 KiB slice, kept outside the heap's memory. The first ("head") slice of a page or span describes it
/// all; <see cref="Head"/> of every slice in use points at its head, so a pointer finds its page with one load.
/// </summary>
/// <remarks>Padded to 128 bytes so that indexing the metadata array is a shift, not a multiply.</remarks>
[StructLayout(LayoutKind.Sequential, Size = 128)]
internal unsafe struct Page
{
    // Hot, the first cache line: the alloc and free fast paths read only these.
    public Page* Head;
    public Block* Free;
    public ThreadHeap* Owner;
    public nuint BlockSize;
    public int Used;
    /// <summary>The size class of a small page; -1 for a large span.</summary>
    public short Bin;
    /// <summary>1 while the page sits on its owner's full list; remote freers then leave a hint for the owner.</summary>
    public byte IsFull;
    public SliceState State;
    /// <summary>
    /// Non-zero when other threads may have set pending bits in this page since the owner last collected: the owner reads
    /// the bitmap only then. Raised with an atomic exchange (a fence: see <c>MoveToFull</c>), cleared by the collector
    /// before it scans, so a bit set meanwhile is either scanned or raises the flag again.
    /// </summary>
    public nint HasPending;
    /// <summary>The block bitmap words of this page's first KiB (see <see cref="BlockBits"/>).</summary>
    public ulong* Bits;
    public byte* Start;

    // Cold.
    public int Capacity;
    public int MaxBlocks;
    public int Slices;
    public int RegionIndex;
    /// <summary>
    /// Bytes of storage behind this slice, from its start: a multiple of <see cref="SizeClasses.CommitUnit"/>, at most
    /// the slice. Only this prefix may be touched; the rest is a hole (or not yet mapped) and would take file blocks on a
    /// write, which could SIGBUS on a full file system.
    /// </summary>
    public int CommittedBytes;
    /// <summary>This slice's storage reads as zeros (fresh or decommitted, and not handed out since).</summary>
    public bool Zeroed;
    /// <summary>Links in a heap's bin list or full list, or in a free-span list.</summary>
    public Page* Next, Prev;
    /// <summary>Free spans: time (<see cref="Environment.TickCount64"/>) from which the span may be decommitted.</summary>
    public long PurgeAt;
}

/// <summary>A thread's heap in one kind: the page lists the allocation fast path reads, and the handshake words.</summary>
internal unsafe struct ThreadHeap
{
    /// <summary>1 while the owner thread works on this heap without the kind's lock.</summary>
    public int Busy;
    /// <summary>Non-zero while a lock holder (reclaim, dispose) works on this heap; the owner then takes the slow path.</summary>
    public int Blocked;
    /// <summary>The kind this heap serves; 0 once detached (the kind was disposed).</summary>
    public long KindUid;
    /// <summary>Small blocks this heap handed out and frees its thread made (any page's): plain stores by the owner, in
    /// the cache line the fast paths already write, read without the lock for <c>GetCounters</c> (whole 64-bit words).</summary>
    public long Allocations, Frees;
    /// <summary>1 when the owner thread has exited; the kind hands the heap, pages and all, to the next new thread.</summary>
    public int Orphaned;
    public ThreadHeap* NextInKind, PrevInKind;
    /// <summary>The table whose entry holds this heap (null while orphaned, and for the conservative shared heap).</summary>
    public HeapTable* Table;
    /// <summary>Per bin: the first page with free blocks (the one allocation pops from), or the shared empty page.</summary>
    public fixed long Direct[SizeClasses.BinCount];
    /// <summary>Per bin: pages with no free block left.</summary>
    public fixed long Full[SizeClasses.BinCount];
    /// <summary>
    /// Bits per bin: a remote free landed in one of this heap's full pages. Every such free reads them, so no other field
    /// shares their cache line: beside <see cref="Busy"/> and the counts, which the owner writes on every call, each read
    /// missed (xmalloc's consumer: 3.5% of a profile in the read).
    /// </summary>
    public FullHints Hints;
}

/// <summary>The full-page hint words of a <see cref="ThreadHeap"/>, with 64 bytes of padding on each side: whatever the
/// heap's alignment, no line that holds them holds anything else.</summary>
[StructLayout(LayoutKind.Explicit, Size = 144)]
internal struct FullHints
{
    [FieldOffset(64)] public ulong Low;
    [FieldOffset(72)] public ulong High;
}

/// <summary>A thread's table of heaps, indexed by kind slot, and the stack range by which the fast paths find it.</summary>
/// <remarks>
/// Never freed: the stack lookup may still point at a table after its thread has exited, and the range check then fails
/// because <see cref="StackSize"/> reads 0. A released table is reused only by a thread whose stack has the same top, so
/// the range a reader on another stack sees can only be empty or that (foreign) range, never a torn mix.
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct HeapTable
{
    public const int InlineSlots = 32;

    /// <summary>
    /// Bytes below <see cref="StackTop"/> that only this table's thread runs on; 0 when unknown or once the thread has
    /// exited. Below 2^32, and the first field: the thread-exit hook zeroes the table's first four (or eight) bytes.
    /// </summary>
    public nuint StackSize;
    /// <summary>Entries in <see cref="Overflow"/>, the heaps of slots from <see cref="InlineSlots"/> up.</summary>
    public int OverflowCount;
    /// <summary>
    /// A number no other thread with a number has, from 1 up, drawn when a thread takes the table and given back once
    /// that thread has ended, so numbers stay as few as the threads alive at once (tiered memory's counters give each
    /// number a stripe of its own). 0 once given back.
    /// </summary>
    public int Number;
    /// <summary>The kernel's ids of the thread that took the table and of its process (0 when unknown): whether it has ended is asked by id.</summary>
    public int ThreadId, ProcessId;
    public nuint StackTop;
    public ThreadHeap** Overflow;
    /// <summary>The process's initial thread: its range starts where it first allocated and deepens as it is confirmed.</summary>
    public bool IsInitialThread;
    /// <summary>How many more times the initial thread may ask the C library to confirm a deeper stack page.</summary>
    public int DeepenBudget;
    /// <summary>The thread-exit hook will zero <see cref="StackSize"/> (the stack lookup is on and the range was known).</summary>
    public bool ExitHookArmed;
    /// <summary>Lookups of this thread that missed the stack cache and read the thread-static (diagnostics: a steady state adds none).</summary>
    public long SlowLookups;
    /// <summary>The heaps of slots below <see cref="InlineSlots"/> (kind slots are reused, so most programs need no more).</summary>
    public fixed long Inline[InlineSlots];

    /// <summary>Whether <paramref name="stack"/> lies in [StackTop - StackSize, StackTop): one compare, false for an empty range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Holds(nuint stack) => StackTop - 1 - stack < StackSize;

    /// <summary>
    /// Whether the table's thread has exited: its exit hook has run (in the exiting thread, after the runtime detached
    /// it, so no managed code runs on it any more). False when the hook was not armed; the GC's finalizer then decides.
    /// </summary>
    public readonly bool HasExited => ExitHookArmed && Volatile.Read(ref Unsafe.AsRef(in StackSize)) == 0;

    /// <summary>The number of slots the table has entries for.</summary>
    public readonly int SlotCount => InlineSlots + OverflowCount;

    /// <summary>The entry of <paramref name="slot"/>, which must be below <see cref="SlotCount"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ThreadHeap** Entry(int slot)
    {
        fixed (long* inline = Inline) // the table lives in native memory: fixed pins nothing
            return slot < InlineSlots ? (ThreadHeap**)inline + slot : Overflow + (slot - InlineSlots);
    }
}

/// <summary>Bit operations on the out-of-band block bitmaps: per KiB of region two words, "allocated" then "pending free".</summary>
internal static unsafe class BlockBits
{
    /// <summary>Bytes of bitmap for <paramref name="regionSize"/> bytes of heap: 16 per KiB.</summary>
    public static nuint BytesFor(nuint regionSize) => regionSize >> 6;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong* AllocatedWord(ulong* bits, nuint offset) => bits + ((offset >> 10) << 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mask(nuint offset) => 1UL << (int)((offset >> 4) & 63);
}
