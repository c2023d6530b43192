using System.Runtime.InteropServices;
using MemoryKinds.Native.Abi;

namespace MemoryKinds.Native.Exports;

/// <summary>Creating, destroying, finding and describing kinds.</summary>
internal static unsafe class KindExports
{
    [UnmanagedCallersOnly(EntryPoint = "memkind_create_pmem")]
    public static int CreatePmem(byte* dir, nuint maxSize, KindStruct** kind)
    {
        try
        {
            return PmemKinds.Create("memkind_create_pmem", dir, maxSize, (int)MemoryUsagePolicy.Default, kind);
        }
        catch (Exception e)
        {
            Failure.OfCall("memkind_create_pmem", e);
            return ErrorCodes.Runtime;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memkind_create_pmem_with_config")]
    public static int CreatePmemWithConfig(ConfigStruct* cfg, KindStruct** kind)
    {
        try
        {
            if (cfg == null)
            {
                Misuse.Report("memkind_create_pmem_with_config", "cfg is NULL; no kind was created");
                return ErrorCodes.Invalid;
            }
            return PmemKinds.Create("memkind_create_pmem_with_config", cfg->PmemDir, cfg->PmemSize, cfg->Policy, kind);
        }
        catch (Exception e)
        {
            Failure.OfCall("memkind_create_pmem_with_config", e);
            return ErrorCodes.Runtime;
        }
    }

    /// <summary>A kind over [addr, addr + size), memory the caller keeps mapped until the kind is destroyed (see <see cref="FixedMemorySource"/>).</summary>
    [UnmanagedCallersOnly(EntryPoint = "memkind_create_fixed")]
    public static int CreateFixed(void* addr, nuint size, KindStruct** kind)
    {
        try
        {
            if (ForkGuard.Refuses("memkind_create_fixed")) return ErrorCodes.Runtime;
            if (kind == null || addr == null)
            {
                Misuse.Report("memkind_create_fixed", $"{(addr == null ? "addr" : "kind")} is NULL; no kind was created");
                Libc.SetErrno(ErrorCodes.EINVAL);
                return ErrorCodes.Invalid;
            }
            FixedMemorySource source;
            try
            {
                source = new FixedMemorySource(addr, size);
            }
            catch (ArgumentOutOfRangeException)
            {
                Libc.SetErrno(ErrorCodes.EINVAL);
                return ErrorCodes.Invalid;
            }
            *kind = KindTable.Add($"fixed{Misuse.Pointer(addr)}", priv =>
            {
                var fixedPriv = (FixedPriv*)priv;
                fixedPriv->Address = addr;
                fixedPriv->Size = size;
                return (MemoryKind.Create($"fixed{Misuse.Pointer(addr)}", source), null);
            });
            return ErrorCodes.Success;
        }
        catch (ArgumentException)
        {
            Misuse.Report("memkind_create_fixed", $"a live fixed kind already uses the area at {Misuse.Pointer(addr)}; no kind was created");
            Libc.SetErrno(ErrorCodes.EINVAL);
            return ErrorCodes.Invalid;
        }
        catch (Exception e)
        {
            Failure.OfCall("memkind_create_fixed", e);
            return ErrorCodes.ArenasCreate;
        }
    }

    /// <summary>memkind_create_kind: memkind's table of supported (memtype, policy, flags) triples, over the static kinds.</summary>
    [UnmanagedCallersOnly(EntryPoint = "memkind_create_kind")]
    public static int CreateKind(int memtype, int policy, int flags, KindStruct** kind)
    {
        const int DefaultType = 1, HighBandwidth = 2, PageSize2MiB = 21;
        const int BindLocal = 0, BindAll = 1, PreferredLocal = 2, InterleaveAll = 4, PolicyMax = 5;
        if (memtype == 0 || (memtype & ~(DefaultType | HighBandwidth)) != 0 || (flags & ~PageSize2MiB) != 0 || (uint)policy >= PolicyMax || kind == null)
            return ErrorCodes.Invalid;
        int partition = (memtype, policy, flags) switch
        {
            (HighBandwidth, BindLocal, 0) => 1,
            (HighBandwidth, BindLocal, PageSize2MiB) => 2,
            (HighBandwidth, BindAll, 0) => 12,
            (HighBandwidth, BindAll, PageSize2MiB) => 13,
            (HighBandwidth, PreferredLocal, 0) => 3,
            (HighBandwidth, PreferredLocal, PageSize2MiB) => 4,
            (HighBandwidth, InterleaveAll, 0) => 9,
            (DefaultType, PreferredLocal, 0) => StaticKinds.Default,
            (DefaultType, PreferredLocal, PageSize2MiB) => StaticKinds.HugeTlb,
            (DefaultType | HighBandwidth, InterleaveAll, 0) => StaticKinds.Interleave,
            _ => -1,
        };
        if (partition < 0) return ErrorCodes.Invalid;
        if (StaticKinds.Availability(partition) == ErrorCodes.Success) *kind = KindSlots.Static(partition);
        else if (policy == PreferredLocal) *kind = KindSlots.Static(StaticKinds.Default);
        else return ErrorCodes.MemtypeNotAvailable;
        return ErrorCodes.Success;
    }

    [UnmanagedCallersOnly(EntryPoint = "memkind_destroy_kind")]
    public static int DestroyKind(KindStruct* kind) => Destroy("memkind_destroy_kind", kind);

    /// <summary>Destroys a created kind; the static kinds live as long as the process, so destroying one does nothing.</summary>
    public static int Destroy(string call, KindStruct* kind)
    {
        try
        {
            if (ForkGuard.Refuses(call)) return ErrorCodes.Runtime;
            AbiKind? entry = KindTable.Find(kind);
            if (entry is null)
            {
                Misuse.Report(call, $"{Misuse.Pointer(kind)} is not a live kind (never created, or destroyed already); nothing was done");
                return ErrorCodes.Invalid;
            }
            if (!entry.IsStatic) KindTable.Remove(kind);
            return ErrorCodes.Success;
        }
        catch (Exception e)
        {
            Failure.OfCall(call, e);
            return ErrorCodes.Runtime;
        }
    }

    /// <summary>
    /// The kind of <paramref name="ptr"/> (any address inside one of its blocks); NULL for NULL and for memory of no kind.
    /// memkind 1.14 answers MEMKIND_DEFAULT for memory its arenas do not know, because its DEFAULT kind is jemalloc's
    /// default heap; here MEMKIND_DEFAULT's blocks are known, so foreign memory is told apart.
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "memkind_detect_kind")]
    public static KindStruct* DetectKind(void* ptr)
    {
        if (ptr == null) return null;
        try
        {
            MemoryKind? owner = MemoryKind.Detect(ptr);
            AbiKind? entry = owner is null ? null : KindTable.Of(owner);
            return entry is null ? null : entry.Struct;
        }
        catch (Exception e)
        {
            Failure.OfCall("memkind_detect_kind", e);
            return null;
        }
    }

    /// <summary>0 when the directory is on a DAX file system; MEMKIND_ERROR_MMAP when it is not; MEMKIND_ERROR_RUNTIME when no file can be made there.</summary>
    [UnmanagedCallersOnly(EntryPoint = "memkind_check_dax_path")]
    public static int CheckDaxPath(byte* pmemDir)
    {
        try
        {
            string? path = Libc.Text(pmemDir);
            if (string.IsNullOrEmpty(path)) return ErrorCodes.Runtime;
            if (PmemKind.IsDax(path)) return ErrorCodes.Success;
            Libc.SetErrno(ErrorCodes.EOPNOTSUPP); // what mmap(MAP_SYNC) gives off DAX, as memkind reports it
            return ErrorCodes.Mmap;
        }
        catch (Exception e)
        {
            if (e is not (IOException or UnauthorizedAccessException or ArgumentException)) Failure.OfCall("memkind_check_dax_path", e);
            return ErrorCodes.Runtime;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memkind_check_available")]
    public static int CheckAvailable(KindStruct* kind)
    {
        try
        {
            AbiKind? entry = KindTable.Find(kind);
            if (entry is not null) return entry.Availability;
            Misuse.Report("memkind_check_available", $"{Misuse.Pointer(kind)} is not a live kind");
            return ErrorCodes.Invalid;
        }
        catch (Exception e)
        {
            Failure.OfCall("memkind_check_available", e);
            return ErrorCodes.Runtime;
        }
    }

    /// <summary>A pmem kind's limit (or its file system's size when unlimited), a fixed kind's area size, or memkind's figure for a static kind; -1 when unsupported.</summary>
    [UnmanagedCallersOnly(EntryPoint = "memkind_get_capacity")]
    public static nint GetCapacity(KindStruct* kind)
    {
        try
        {
            AbiKind? entry = KindTable.Find(kind);
            if (entry is null) return -1;
            if (entry.IsStatic) return (nint)StaticKinds.Capacity((int)entry.Partition);
            return (nint)entry.Kind!.Capacity;
        }
        catch (Exception e)
        {
            Failure.OfCall("memkind_get_capacity", e);
            return -1;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memkind_get_kind_by_partition")]
    public static int GetKindByPartition(int partition, KindStruct** kind)
    {
        if (kind == null) return ErrorCodes.Invalid;
        try
        {
            AbiKind? entry = KindTable.AtPartition(partition);
            *kind = entry is null ? null : entry.Struct;
            return entry is null ? ErrorCodes.Unavailable : ErrorCodes.Success;
        }
        catch (Exception e)
        {
            Failure.OfCall("memkind_get_kind_by_partition", e);
            *kind = null;
            return ErrorCodes.Runtime;
        }
    }
}
