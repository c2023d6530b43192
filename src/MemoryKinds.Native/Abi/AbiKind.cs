namespace MemoryKinds.Native.Abi;

/// <summary>One kind as C sees it: the <c>struct memkind</c> a <c>memkind_t</c> points to, and the kind behind it.</summary>
internal sealed unsafe class AbiKind(KindStruct* structure, MemoryKind? kind, int availability, PmemFileSource? pmem = null)
{
    /// <summary>The struct C holds; its partition is this entry's index in <see cref="KindTable"/>.</summary>
    public KindStruct* Struct { get; } = structure;

    /// <summary>
    /// The kind; null for a static kind not created yet (available ones are made on first use) or unavailable here.
    /// Written once under the table's lock, read without it.
    /// </summary>
    public volatile MemoryKind? Kind = kind;

    /// <summary>memkind_check_available's answer: 0, or the code memkind 1.14 gives for that kind on such a machine.</summary>
    public int Availability { get; } = availability;

    /// <summary>The file source of a pmem kind (for memkind_pmem_mmap), else null.</summary>
    public PmemFileSource? Pmem { get; } = pmem;

    public uint Partition => Struct->Partition;

    public bool IsStatic => Struct->Partition < StaticKinds.Count;

    /// <summary>The kind's memtier accounting, made on first use (most kinds never see a memtier call).</summary>
    public KindTierUsage TierUsage
    {
        get
        {
            KindTierUsage? usage = Volatile.Read(ref _tierUsage);
            return usage ?? Interlocked.CompareExchange(ref _tierUsage, new KindTierUsage(), null) ?? _tierUsage;
        }
    }

    /// <summary>The kind's memtier accounting, or null when no memtier call has used the kind.</summary>
    public KindTierUsage? TierUsageIfAny => Volatile.Read(ref _tierUsage);

    private KindTierUsage? _tierUsage;

    /// <summary>The name C reads at offset 12.</summary>
    public string Name => new((sbyte*)Struct->Name);
}
