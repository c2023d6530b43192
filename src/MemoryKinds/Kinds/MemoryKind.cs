using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using MemoryKinds.Engine;

namespace MemoryKinds;

/// <summary>
/// A heap with its own source of pages: a memory-mapped file in a directory (<see cref="PmemKind"/>), DRAM
/// (<see cref="Default"/>), or any <see cref="MemorySource"/> (<see cref="Create(string, MemorySource, MemoryUsagePolicy)"/>). All members are thread-safe and any
/// thread may free any block.
/// </summary>
/// <remarks>
/// Differences from memkind: <see cref="Alloc"/> of 0 bytes returns a unique, freeable block (memkind returns NULL), as
/// <see cref="System.Runtime.InteropServices.NativeMemory.Alloc(nuint)"/> does; failures throw
/// <see cref="OutOfMemoryException"/> (or return null from the Try forms) instead of setting errno; a pointer of another
/// kind, of no kind, or already freed is reported with <see cref="ArgumentException"/> instead of crashing.
/// </remarks>
public abstract unsafe partial class MemoryKind : IDisposable
{
    private static readonly MemoryKind s_default = new DefaultMemoryKind();

    private protected readonly KindHeap _heap;
    /// <summary>Null unless hardened mode is on: then every call goes through it (canaries, junk, quarantine).</summary>
    private readonly HardenedHeap? _hardened;
    /// <summary><see cref="_heap"/> when hardened mode is off, else null: the hot calls test and use one field.</summary>
    private readonly KindHeap? _plainHeap;

    private protected MemoryKind(string name, MemorySource source, MemoryUsagePolicy policy, bool hardened)
    {
        UsagePolicy = policy;
        _heap = KindHeap.Create(name, source, policy == MemoryUsagePolicy.Conservative);
        _heap.Owner = this;
        if (hardened || HardenedHeap.EnabledForProcess) _hardened = new HardenedHeap(_heap);
        else _plainHeap = _heap;
        OnCreated();
    }

    /// <summary>The DRAM kind (memkind's <c>MEMKIND_DEFAULT</c>). <see cref="Dispose"/> on it does nothing.</summary>
    public static MemoryKind Default => s_default;

    /// <summary>The kind's name, unique among live kinds.</summary>
    public string Name => _heap.Name;

    /// <summary>Whether the kind has been disposed (destroyed).</summary>
    public bool IsDisposed => _heap.IsDisposed;

    /// <summary>The most bytes the kind can hold: its size limit, or the size of what backs it (memkind_get_capacity).</summary>
    public long Capacity => _heap.Source.Capacity;

    /// <summary>How eagerly the kind gives the storage of freed memory back.</summary>
    public MemoryUsagePolicy UsagePolicy { get; }

    /// <summary>
    /// Whether hardened mode is on (per kind at creation, or for every kind with the environment variable
    /// <c>MEMKINDS_HARDENED=1</c>): 8-byte tail canaries checked at free, junk fill on allocation (0xA5) and free (0xDF),
    /// and a quarantine of freed blocks whose junk is checked before reuse. Overflows and writes after free are then
    /// reported with <see cref="InvalidOperationException"/> (a write after free is found when the block leaves the
    /// quarantine, so the report can come from a later <c>Free</c> of another block); usable sizes are 8 bytes smaller.
    /// Costly: for debugging.
    /// </summary>
    public bool IsHardened => _hardened is not null;

    /// <summary>The source the kind's pages come from.</summary>
    public MemorySource Source => _heap.Source;

    /// <summary>Allocates <paramref name="size"/> bytes, 16-byte aligned (0 bytes gives a unique block).</summary>
    /// <exception cref="OutOfMemoryException">The kind cannot give that much.</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Alloc(nuint size)
    {
        KindHeap? heap = _plainHeap;
        void* p = heap is not null ? heap.Alloc(size) : HardenedAlloc(size, 16);
        if (p == null) ThrowOutOfMemoryCounted(size);
        return p;
    }

    /// <summary>Allocates <paramref name="size"/> bytes like <see cref="Alloc"/>, but returns null when the kind cannot give them.</summary>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* TryAlloc(nuint size) => TryAllocWithTable(ThreadHeaps.CurrentTable(), size, out _);

    /// <summary>Allocates <paramref name="count"/> × <paramref name="size"/> zeroed bytes (calloc).</summary>
    /// <exception cref="OutOfMemoryException">The product overflows or the kind cannot give that much.</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public void* AllocZeroed(nuint count, nuint size)
    {
        void* p = TryAllocZeroed(count, size);
        if (p == null) ThrowOutOfMemory(size != 0 && count > nuint.MaxValue / size ? nuint.MaxValue : count * size);
        return p;
    }

    /// <summary>Allocates zeroed memory like <see cref="AllocZeroed"/>, but returns null on overflow or when the kind is full.</summary>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public void* TryAllocZeroed(nuint count, nuint size)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (size != 0 && count > nuint.MaxValue / size) return OnAllocationFailed();
        if (_hardened is null) return CountFailure(_heap.AllocZeroed(count * size));
        void* p = HardenedAlloc(count * size, 16);
        if (p != null) System.Runtime.InteropServices.NativeMemory.Clear(p, count * size);
        return CountFailure(p);
    }

    /// <summary>Allocates <paramref name="size"/> bytes aligned to <paramref name="alignment"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="alignment"/> is not a power of two.</exception>
    /// <exception cref="OutOfMemoryException">The kind cannot give that much at that alignment (for example 2^40).</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* AlignedAlloc(nuint size, nuint alignment)
    {
        void* p = TryAlignedAlloc(size, alignment);
        if (p == null) ThrowOutOfMemory(size);
        return p;
    }

    /// <summary>Allocates aligned memory like <see cref="AlignedAlloc"/>, but returns null when the kind cannot.</summary>
    /// <exception cref="ArgumentException"><paramref name="alignment"/> is not a power of two.</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* TryAlignedAlloc(nuint size, nuint alignment)
    {
        if (!BitOperations.IsPow2(alignment)) ThrowAlignmentNotPowerOfTwo(alignment);
        KindHeap? heap = _plainHeap;
        return CountFailure(heap is not null ? heap.AlignedAlloc(size, alignment) : HardenedAlloc(size, alignment));
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowAlignmentNotPowerOfTwo(nuint alignment)
        => throw new ArgumentException($"The alignment {alignment} is not a power of two.", nameof(alignment));

    /// <summary>Resizes a block, keeping its contents up to the smaller size; a null <paramref name="ptr"/> allocates.</summary>
    /// <returns>The block, moved or not.</returns>
    /// <exception cref="OutOfMemoryException">The kind cannot give that much; <paramref name="ptr"/> stays valid and unchanged.</exception>
    /// <exception cref="ArgumentException"><paramref name="ptr"/> is not a live block of this kind.</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public void* Realloc(void* ptr, nuint size)
    {
        void* p = TryRealloc(ptr, size);
        if (p == null) ThrowOutOfMemory(size);
        return p;
    }

    /// <summary>Resizes a block like <see cref="Realloc"/>, but returns null when the kind is full (<paramref name="ptr"/> untouched and still valid).</summary>
    /// <exception cref="ArgumentException"><paramref name="ptr"/> is not a live block of this kind.</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public void* TryRealloc(void* ptr, nuint size)
    {
        if (ptr == null) return TryAlloc(size);
        if (_hardened is null) return CountFailure(_heap.Realloc(ptr, size));
        void* p = _hardened.Realloc(ptr, size);
        return CountFailure(p != null || !_hardened.Drain() ? p : _hardened.Realloc(ptr, size));
    }

    /// <summary>Frees a block of this kind; null does nothing.</summary>
    /// <exception cref="ArgumentException"><paramref name="ptr"/> is not a live block of this kind (another kind's, no kind's, inside a block, or freed already); nothing is changed.</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Free(void* ptr)
    {
        KindHeap? heap = _plainHeap;
        if (heap is not null) heap.Free(ptr);
        else _hardened!.Free(ptr);
    }

    /// <summary>The usable size of a block (at least what was asked for); 0 for null.</summary>
    /// <exception cref="ArgumentException"><paramref name="ptr"/> is not a live block of this kind.</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public nuint GetUsableSize(void* ptr) => ptr == null ? 0 : _hardened is null ? _heap.UsableSize(ptr) : _hardened.UsableSize(ptr);

    /// <summary>memkind_defrag_reallocate: moves the block out of a sparsely used page so that page can be given back.</summary>
    /// <returns>The new pointer (the old one is freed), or null when the block was not moved (the old one stays valid).</returns>
    /// <exception cref="ArgumentException"><paramref name="ptr"/> is not a live block of this kind.</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    /// <remarks>In hardened mode blocks are never moved (the pointer is still checked).</remarks>
    public void* DefragRealloc(void* ptr)
    {
        if (ptr == null) return null;
        if (_hardened is null) return _heap.DefragRealloc(ptr);
        _hardened.UsableSize(ptr);
        return null;
    }

    /// <summary>The kind's memory use now; no refresh step is needed.</summary>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public KindStats GetStats()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        (long allocated, long active, long resident) = _heap.GetStats();
        return new KindStats(allocated, active, resident);
    }

    /// <summary>
    /// What the kind has done so far: blocks handed out and freed, allocations it could not satisfy, and the highest
    /// Active and Resident since it was made or <see cref="ResetPeaks"/> was called.
    /// </summary>
    /// <remarks>Counting costs the fast paths one increment in a cache line they write anyway; the sums are exact when no other thread allocates or frees during the call.</remarks>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public KindCounters GetCounters()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        (long allocations, long frees, long peakActive, long peakResident) = _heap.GetCounters();
        return new KindCounters(allocations, frees, AllocationFailures, peakActive, peakResident);
    }

    /// <summary>Starts the peaks of <see cref="GetCounters"/> again from the current Active and Resident.</summary>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public void ResetPeaks()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        _heap.ResetPeaks();
    }

    /// <summary>
    /// Gives back now what the usage policy would give back later: empty pages that threads keep cached, the storage of
    /// free spans (file blocks punched, DRAM advised away) and storage pages reserved ahead of their blocks. Blocks in
    /// use are untouched. Useful after a burst, before a snapshot of the file, or when another process needs the space.
    /// </summary>
    /// <returns>The bytes of storage given back (Resident before minus after).</returns>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public long Trim()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return _heap.Trim();
    }

    /// <summary>
    /// Destroys the kind (memkind_destroy_kind): every block, the address space and the backing file are released; calls
    /// in flight on other threads finish first, later calls throw <see cref="ObjectDisposedException"/>. Idempotent.
    /// Touching a block of a disposed kind is a fatal access violation, as with any freed native memory.
    /// </summary>
    public virtual void Dispose()
    {
        _heap.Dispose();
        OnDisposed();
        GC.SuppressFinalize(this);
    }

    /// <summary>The kind that owns <paramref name="ptr"/> (any address inside its heap), or null for null or memory no kind owns. Never crashes; O(1), no lock, no syscall.</summary>
    public static MemoryKind? Detect(void* ptr) => ptr == null ? null : KindHeap.OwnerOf(ptr)?.Owner as MemoryKind;

    /// <summary>Frees a block of whichever kind owns it (memkind_free with a NULL kind); null does nothing.</summary>
    /// <exception cref="ArgumentException">No kind owns <paramref name="ptr"/>, or it is not a live block.</exception>
    public static void FreeAny(void* ptr)
    {
        if (ptr == null) return;
        MemoryKind kind = Detect(ptr) ?? throw new ArgumentException($"The pointer 0x{(nuint)ptr:x} was not allocated by any memory kind.", nameof(ptr));
        kind.Free(ptr);
    }

    /// <summary>Creates a kind over any <paramref name="source"/> (memkind_create with custom ops); the kind owns the source from then on.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or a live kind already has it.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="policy"/> is not defined.</exception>
    public static MemoryKind Create(string name, MemorySource source, MemoryUsagePolicy policy = MemoryUsagePolicy.Default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(source);
        ThrowIfUndefined(policy);
        return new CustomMemoryKind(name, source, policy, hardened: false);
    }

    /// <summary>Creates a kind over any <paramref name="source"/>, optionally in hardened mode (see <see cref="IsHardened"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or a live kind already has it.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="policy"/> is not defined.</exception>
    public static MemoryKind Create(string name, MemorySource source, MemoryUsagePolicy policy, bool hardened)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(source);
        ThrowIfUndefined(policy);
        return new CustomMemoryKind(name, source, policy, hardened);
    }

    /// <summary>A hardened allocation; when the kind is full, the quarantine is emptied and the allocation tried once more.</summary>
    private void* HardenedAlloc(nuint size, nuint alignment)
    {
        void* p = _hardened!.Alloc(size, alignment);
        return p != null || !_hardened.Drain() ? p : _hardened.Alloc(size, alignment);
    }

    /// <summary>The kind's name, source and policy.</summary>
    public override string ToString() => $"{Name} ({_heap.Source.Description}, {UsagePolicy}{(IsDisposed ? ", disposed" : "")})";

    private protected static void ThrowIfUndefined(MemoryUsagePolicy policy)
    {
        if (!Enum.IsDefined(policy)) throw new ArgumentOutOfRangeException(nameof(policy), policy, "Undefined memory usage policy.");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowOutOfMemory(nuint size)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        (long allocated, long active, long resident) = _heap.GetStats();
        throw new OutOfMemoryException($"Memory kind '{Name}' cannot allocate {size} bytes (capacity {Capacity}, allocated {allocated}, active {active}, resident {resident}{_heap.Source.FailureDetail}).");
    }

    private sealed class CustomMemoryKind(string name, MemorySource source, MemoryUsagePolicy policy, bool hardened) : MemoryKind(name, source, policy, hardened);

    /// <summary>The DRAM kind: lives as long as the process.</summary>
    private sealed class DefaultMemoryKind() : MemoryKind("default", new AnonymousMemorySource(), MemoryUsagePolicy.Default, hardened: false)
    {
        public override void Dispose() { }
    }
}
