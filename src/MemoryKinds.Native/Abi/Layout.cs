using System.Runtime.InteropServices;

namespace MemoryKinds.Native.Abi;

/// <summary>
/// memkind 1.14's <c>struct memkind</c> (120 bytes on LP64: x86-64 and arm64), the object a <c>memkind_t</c> points to.
/// Programs and memkind's own tests read <see cref="Name"/>, <see cref="Priv"/> and <see cref="ArenaZero"/>; the library
/// itself uses only <see cref="Partition"/> (the index of the kind in <see cref="KindTable"/>).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 120)]
internal unsafe struct KindStruct
{
    public const int NameLength = 64;

    /// <summary>memkind's ops table (native/static_kinds.c), filled with the library's entry points; the library itself dispatches on <see cref="Partition"/>.</summary>
    [FieldOffset(0)] public void* Ops;
    [FieldOffset(8)] public uint Partition;
    [FieldOffset(12)] public fixed byte Name[NameLength];
    [FieldOffset(104)] public void* Priv;
    /// <summary>The first jemalloc arena of the kind in memkind; here the partition, so a destroyed kind's number is reused like memkind's.</summary>
    [FieldOffset(116)] public uint ArenaZero;
}

/// <summary>memkind 1.14's <c>struct memkind_pmem</c> (80 bytes): a pmem kind's <see cref="KindStruct.Priv"/>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 80)]
internal unsafe struct PmemPriv
{
    [FieldOffset(0)] public int Fd;
    /// <summary>The file offset where the next <c>memkind_pmem_mmap</c> mapping starts.</summary>
    [FieldOffset(8)] public nuint Offset;
    [FieldOffset(16)] public nuint MaxSize;
    // 24..63: memkind's pthread mutex; unused.
    /// <summary>The file space reserved now, kept current by <see cref="PmemFileSource"/>.</summary>
    [FieldOffset(64)] public nuint CurrentSize;
    /// <summary>The directory as the caller gave it (a malloc'ed copy).</summary>
    [FieldOffset(72)] public byte* Dir;
}

/// <summary>memkind 1.14's <c>struct memkind_fixed</c> (a fixed kind's <see cref="KindStruct.Priv"/>): the area, its size and the bytes used.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal unsafe struct FixedPriv
{
    [FieldOffset(0)] public void* Address;
    [FieldOffset(8)] public nuint Size;
    [FieldOffset(16)] public nuint Current;
}

/// <summary>memkind 1.14's <c>struct memkind_config</c> (24 bytes), which programs and memkind's tests read directly.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ConfigStruct
{
    public byte* PmemDir;
    public nuint PmemSize;
    public int Policy;
}
