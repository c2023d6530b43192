using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MemoryKinds.Native.Abi;

/// <summary>
/// Every kind the C ABI knows, by partition number: memkind's numbers 0–25 for the static kinds, then the lowest free
/// number for each kind created (so a destroyed kind's number, struct and <c>arena_zero</c> are reused, as in memkind).
/// </summary>
/// <remarks>
/// A <c>memkind_t</c> is resolved without a lock and without reading it: its address gives the partition
/// (<see cref="KindSlots"/>), which indexes <see cref="s_entries"/>, and the entry must point back at the same struct.
/// Slots and <c>priv</c> blocks are never freed, only reused by the next kind of the same partition, so a stale
/// <c>memkind_t</c> finds a live kind or an empty entry, and any other pointer finds nothing. Creating and destroying
/// take <see cref="s_lock"/>; the array is replaced, never resized in place.
/// </remarks>
internal static unsafe class KindTable
{
    private const int PrivSize = 80;

    private static readonly Lock s_lock = new();
    // Initialized in this order: CreateStaticEntries fills s_byKind.
    private static readonly ConcurrentDictionary<MemoryKind, AbiKind> s_byKind = new(ReferenceEqualityComparer.Instance);
    private static AbiKind?[] s_entries = CreateStaticEntries();
    private static readonly PriorityQueue<int, int> s_freePartitions = new();
    /// <summary>The priv block of each created partition ever used, kept for its next kind (the structs are <see cref="KindSlots"/>).</summary>
    private static readonly List<nint> s_privs = [];

    private static AbiKind?[] CreateStaticEntries()
    {
        var entries = new AbiKind?[64];
        for (int p = 0; p < StaticKinds.Count; p++)
            entries[p] = new AbiKind(KindSlots.Static(p), p == StaticKinds.Default ? MemoryKind.Default : null, StaticKinds.Availability(p));
        s_byKind[MemoryKind.Default] = entries[StaticKinds.Default]!;
        return entries;
    }

    /// <summary>The kind a call on block <paramref name="ptr"/> works in: the one given, or for a NULL kind the block's owner.</summary>
    public static MemoryKind? OfBlock(KindStruct* kind, string call, void* ptr)
        => kind == null ? OwnerOrReport(call, ptr) : Resolve(kind, call, ptr);

    /// <summary>The kind that owns <paramref name="ptr"/> (a call given a NULL kind); null, with a misuse line and EINVAL, when none does.</summary>
    public static MemoryKind? OwnerOrReport(string call, void* ptr)
    {
        if (ForkGuard.Refuses(call)) return null;
        MemoryKind? owner = MemoryKind.Detect(ptr);
        if (owner is null)
        {
            Misuse.Report(call, $"{Misuse.Pointer(ptr)} is not a block of any kind; nothing was done");
            Libc.SetErrno(ErrorCodes.EINVAL);
        }
        return owner;
    }

    /// <summary>The kind behind <paramref name="kind"/>; null (errno set, misuse reported) when there is none to use.</summary>
    /// <param name="kind">What the caller passed.</param>
    /// <param name="call">The exported function, for the misuse line.</param>
    /// <param name="ptr">The block the call is about, if any: with an unavailable kind it cannot be that kind's.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MemoryKind? Resolve(KindStruct* kind, string call, void* ptr = null)
    {
        AbiKind?[] entries = s_entries;
        int partition = KindSlots.PartitionOf(kind);
        if ((uint)partition < (uint)entries.Length && entries[partition] is { } entry && entry.Struct == kind && entry.Kind is { } found && !ForkGuard.InChild)
            return found;
        return ResolveSlow(kind, call, ptr);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static MemoryKind? ResolveSlow(KindStruct* kind, string call, void* ptr)
    {
        if (ForkGuard.Refuses(call)) return null;
        AbiKind? entry = Find(kind);
        if (entry is null)
        {
            Misuse.Report(call, $"{Misuse.Pointer(kind)} is not a live kind (never created, or destroyed); nothing was done");
            Libc.SetErrno(ErrorCodes.EINVAL);
            return null;
        }
        if (entry.Availability == ErrorCodes.Success) return entry.Kind ?? CreateStaticKind(entry);
        if (ptr != null) Misuse.Report(call, $"{Misuse.Pointer(ptr)} cannot be a block of {entry.Name}, which is not available here; nothing was done");
        Libc.SetErrno(ErrorCodes.ENOMEM);
        return null;
    }

    /// <summary>The entry whose struct is <paramref name="kind"/>, or null for null, a destroyed kind or any other pointer (never read).</summary>
    public static AbiKind? Find(KindStruct* kind)
    {
        AbiKind?[] entries = s_entries;
        int partition = KindSlots.PartitionOf(kind);
        return (uint)partition < (uint)entries.Length && entries[partition] is { } entry && entry.Struct == kind ? entry : null;
    }

    /// <summary>The entry of partition <paramref name="partition"/>, or null.</summary>
    public static AbiKind? AtPartition(int partition)
    {
        AbiKind?[] entries = s_entries;
        return (uint)partition < (uint)entries.Length ? entries[partition] : null;
    }

    /// <summary>The entry of the kind that owns <paramref name="kind"/>'s blocks, or null for a kind C never saw.</summary>
    public static AbiKind? Of(MemoryKind kind) => s_byKind.TryGetValue(kind, out AbiKind? entry) ? entry : null;

    /// <summary>The live entries whose kind exists (static DRAM kinds only once used).</summary>
    public static List<AbiKind> Snapshot()
    {
        var live = new List<AbiKind>();
        foreach (AbiKind? entry in s_entries)
            if (entry?.Kind is { IsDisposed: false }) live.Add(entry);
        return live;
    }

    private static MemoryKind CreateStaticKind(AbiKind entry)
    {
        lock (s_lock)
        {
            if (entry.Kind is { } made) return made;
            MemoryKind kind = MemoryKind.Create(entry.Name, new AnonymousMemorySource());
            s_byKind[kind] = entry;
            entry.Kind = kind;
            return kind;
        }
    }

    /// <summary>
    /// Publishes a new kind under the lowest free partition. <paramref name="build"/> runs under the table's lock with
    /// that partition's struct and zeroed priv block; it returns the kind (and, for a pmem kind, its source) or throws,
    /// and then the partition is free again.
    /// </summary>
    public static KindStruct* Add(string name, Func<nint, (MemoryKind Kind, PmemFileSource? Pmem)> build)
    {
        lock (s_lock)
        {
            int partition = s_freePartitions.Count > 0 ? s_freePartitions.Dequeue() : StaticKinds.Count + s_privs.Count;
            if (partition - StaticKinds.Count == s_privs.Count) s_privs.Add((nint)NativeMemory.AllocZeroed(PrivSize));
            KindStruct* s = KindSlots.Dynamic(partition);
            nint priv = s_privs[partition - StaticKinds.Count];
            (MemoryKind Kind, PmemFileSource? Pmem) made;
            try
            {
                made = build(priv);
            }
            catch
            {
                NativeMemory.Clear((void*)priv, PrivSize);
                s_freePartitions.Enqueue(partition, partition);
                throw;
            }
            s->Partition = (uint)partition;
            s->ArenaZero = (uint)partition;
            s->Priv = (void*)priv;
            s->Ops = Libc.Ops(made.Pmem is not null ? 1 : 2);
            WriteName(s, name);
            var entry = new AbiKind(s, made.Kind, ErrorCodes.Success, made.Pmem);
            s_byKind[made.Kind] = entry;
            Publish(partition, entry);
            return s;
        }
    }

    /// <summary>Unpublishes and disposes a created kind, and frees what its priv block owns; false for a static or unknown kind.</summary>
    public static bool Remove(KindStruct* kind)
    {
        lock (s_lock)
        {
            AbiKind? entry = Find(kind);
            if (entry is null || entry.IsStatic) return false;
            int partition = (int)entry.Partition;
            Volatile.Write(ref s_entries[partition], null);
            entry.Kind!.Dispose();
            s_byKind.TryRemove(entry.Kind, out _);
            if (entry.Pmem is not null) Libc.Free(((PmemPriv*)kind->Priv)->Dir);
            NativeMemory.Clear(kind->Priv, PrivSize);
            NativeMemory.Clear(kind->Name, KindStruct.NameLength);
            kind->Ops = null;
            s_freePartitions.Enqueue(partition, partition);
            return true;
        }
    }

    private static void Publish(int partition, AbiKind entry)
    {
        AbiKind?[] entries = s_entries;
        if (partition >= entries.Length)
        {
            var larger = new AbiKind?[Math.Max(entries.Length * 2, partition + 1)];
            entries.CopyTo(larger, 0);
            larger[partition] = entry;
            Volatile.Write(ref s_entries, larger);
        }
        else Volatile.Write(ref entries[partition], entry);
    }

    private static void WriteName(KindStruct* s, string name)
    {
        var target = new Span<byte>(s->Name, KindStruct.NameLength);
        target.Clear();
        System.Text.Encoding.ASCII.GetBytes(name.AsSpan(0, Math.Min(name.Length, KindStruct.NameLength - 1)), target);
    }
}
