using System.Runtime.InteropServices;
using MemoryKinds.Native.Abi;

namespace MemoryKinds.Native.Exports;

/// <summary>
/// The pmem operations Debian's libmemkind exports (memkind_pmem(3)). Kinds made by memkind_create_pmem use them
/// inside the library; these entry points serve programs that call them directly.
/// </summary>
internal static unsafe class PmemOpsExports
{
    private static readonly nint MapFailed = -1;
    private static readonly Lock s_lock = new();
    /// <summary>Callers' structs that memkind_pmem_create prepared, with the priv block it gave each; memkind_pmem_destroy frees only these.</summary>
    private static readonly Dictionary<nint, nint> s_prepared = [];

    /// <summary>
    /// memkind's "create" operation on a struct the caller owns: gives it a zeroed pmem priv block (fd -1), its name
    /// and ops. It makes no heap; the library's pmem kinds come from memkind_create_pmem, which creates the file too.
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "memkind_pmem_create")]
    public static int Create(KindStruct* kind, void* ops, byte* name)
    {
        try
        {
            return Prepare(kind, ops, name);
        }
        catch (Exception e)
        {
            Failure.OfCall("memkind_pmem_create", e);
            return ErrorCodes.Runtime;
        }
    }

    private static int Prepare(KindStruct* kind, void* ops, byte* name)
    {
        if (kind == null || KindTable.Find(kind) is not null)
        {
            Misuse.Report("memkind_pmem_create", $"{Misuse.Pointer(kind)} is {(kind == null ? "NULL" : "a live kind already")}; nothing was done");
            return ErrorCodes.Invalid;
        }
        bool again;
        lock (s_lock) again = s_prepared.ContainsKey((nint)kind);
        if (again)
        {
            Misuse.Report("memkind_pmem_create", $"{Misuse.Pointer(kind)} was prepared already; nothing was done");
            return ErrorCodes.Invalid;
        }
        var priv = (PmemPriv*)Libc.Malloc((nuint)sizeof(PmemPriv));
        if (priv == null) return ErrorCodes.Malloc;
        *priv = default;
        priv->Fd = -1;
        lock (s_lock) s_prepared[(nint)kind] = (nint)priv;
        kind->Ops = ops;
        kind->Priv = priv;
        if (name != null)
        {
            var target = new Span<byte>(kind->Name, KindStruct.NameLength);
            target.Clear();
            ReadOnlySpan<byte> source = new(name, KindStruct.NameLength - 1);
            int end = source.IndexOf((byte)0);
            source[..(end < 0 ? source.Length : end)].CopyTo(target);
        }
        return ErrorCodes.Success;
    }

    /// <summary>memkind's "destroy": a kind of the library is destroyed as by memkind_destroy_kind; a struct prepared by memkind_pmem_create gets its priv block freed.</summary>
    [UnmanagedCallersOnly(EntryPoint = "memkind_pmem_destroy")]
    public static int Destroy(KindStruct* kind)
    {
        try
        {
            return KindTable.Find(kind) is not null ? KindExports.Destroy("memkind_pmem_destroy", kind) : Unprepare(kind);
        }
        catch (Exception e)
        {
            Failure.OfCall("memkind_pmem_destroy", e);
            return ErrorCodes.Runtime;
        }
    }

    private static int Unprepare(KindStruct* kind)
    {
        bool prepared;
        nint priv;
        // Looked up by the struct's address, so an unknown pointer is refused without being read.
        lock (s_lock) prepared = s_prepared.Remove((nint)kind, out priv);
        if (!prepared)
        {
            Misuse.Report("memkind_pmem_destroy", $"{Misuse.Pointer(kind)} is neither a live kind nor prepared by memkind_pmem_create; nothing was done");
            return ErrorCodes.Invalid;
        }
        Libc.Free((void*)priv);
        if (kind->Priv == (void*)priv) kind->Priv = null;
        return ErrorCodes.Success;
    }

    /// <summary>A MAP_SHARED mapping of <paramref name="size"/> bytes of the kind's file, its space reserved first; MAP_FAILED past max_size or a full file system. <paramref name="addr"/> is ignored, as in memkind.</summary>
    [UnmanagedCallersOnly(EntryPoint = "memkind_pmem_mmap")]
    public static void* Mmap(KindStruct* kind, void* addr, nuint size)
    {
        try
        {
            PmemFileSource? source = KindTable.Find(kind)?.Pmem;
            if (source is null)
            {
                Misuse.Report("memkind_pmem_mmap", $"{Misuse.Pointer(kind)} is not a live pmem kind; nothing was done");
                Libc.SetErrno(ErrorCodes.EINVAL);
                return (void*)MapFailed;
            }
            void* p = source.MapStandalone(size);
            if (p != null) return p;
            Libc.SetErrno(ErrorCodes.ENOMEM);
            return (void*)MapFailed;
        }
        catch (Exception e)
        {
            Failure.OfCall("memkind_pmem_mmap", e);
            return (void*)MapFailed;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memkind_pmem_get_mmap_flags")]
    public static int GetMmapFlags(KindStruct* kind, int* flags)
    {
        if (flags == null) return ErrorCodes.Invalid;
        *flags = Libc.MAP_SHARED;
        return ErrorCodes.Success;
    }
}
