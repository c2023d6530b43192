using System.Numerics;
using System.Runtime.InteropServices;
using MemoryKinds.Native.Abi;

namespace MemoryKinds.Native.Exports;

/// <summary>
/// memkind's heap calls. A NULL kind in free, realloc, usable size and defrag means "the kind that owns the block"
/// (memkind_detect_kind). Failures return NULL (or an error code) with memkind's errno; misuse is reported by
/// <see cref="Misuse"/> and changes nothing; no exception leaves a call.
/// </summary>
internal static unsafe class HeapExports
{
    [UnmanagedCallersOnly(EntryPoint = "memkind_malloc")]
    public static void* Malloc(KindStruct* kind, nuint size)
    {
        try
        {
            MemoryKind? k = KindTable.Resolve(kind, "memkind_malloc");
            return k is null || size == 0 ? null : Libc.OrNoMemory(k.TryAlloc(size));
        }
        catch (Exception e)
        {
            Failure.OfCall("memkind_malloc", e);
            return null;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memkind_calloc")]
    public static void* Calloc(KindStruct* kind, nuint num, nuint size)
    {
        try
        {
            MemoryKind? k = KindTable.Resolve(kind, "memkind_calloc");
            // TryAllocZeroed returns null when num * size overflows, as well as when the kind is full.
            return k is null || num == 0 || size == 0 ? null : Libc.OrNoMemory(k.TryAllocZeroed(num, size));
        }
        catch (Exception e)
        {
            Failure.OfCall("memkind_calloc", e);
            return null;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memkind_posix_memalign")]
    public static int PosixMemalign(KindStruct* kind, void** memptr, nuint alignment, nuint size)
    {
        if (memptr == null)
        {
            Misuse.Report("memkind_posix_memalign", "memptr is NULL; nothing was done");
            return ErrorCodes.EINVAL;
        }
        *memptr = null;
        // posix_memalign reports through its result and leaves errno as it was.
        int errno = Marshal.GetLastSystemError();
        try
        {
            MemoryKind? k = KindTable.Resolve(kind, "memkind_posix_memalign");
            if (k is null) return KindTable.Find(kind) is null ? ErrorCodes.EINVAL : ErrorCodes.ENOMEM;
            if (alignment < (nuint)sizeof(void*) || !BitOperations.IsPow2(alignment)) return ErrorCodes.EINVAL;
            if (size == 0) return 0;
            *memptr = k.TryAlignedAlloc(size, alignment);
            return *memptr == null ? ErrorCodes.ENOMEM : 0;
        }
        catch (Exception e)
        {
            Failure.OfCall("memkind_posix_memalign", e);
            return ErrorCodes.ENOMEM;
        }
        finally
        {
            Libc.SetErrno(errno);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memkind_realloc")]
    public static void* Realloc(KindStruct* kind, void* ptr, nuint size)
    {
        try
        {
            if (kind == null && ptr == null)
            {
                // memkind: with neither a kind nor a block there is nothing to find the kind from.
                Libc.SetErrno(ErrorCodes.EINVAL);
                return null;
            }
            MemoryKind? k = KindTable.OfBlock(kind, "memkind_realloc", ptr);
            if (k is null) return null;
            if (ptr == null) return size == 0 ? null : Libc.OrNoMemory(k.TryAlloc(size));
            if (size == 0)
            {
                k.Free(ptr);
                return null;
            }
            return Libc.OrNoMemory(k.TryRealloc(ptr, size));
        }
        catch (Exception e)
        {
            Failure.OfBlock("memkind_realloc", kind, ptr, e);
            return null;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memkind_free")]
    public static void Free(KindStruct* kind, void* ptr)
    {
        if (ptr == null) return;
        try
        {
            if (kind != null) KindTable.Resolve(kind, "memkind_free", ptr)?.Free(ptr);
            else if (!ForkGuard.Refuses("memkind_free")) MemoryKind.FreeAny(ptr);
        }
        catch (Exception e)
        {
            Failure.OfBlock("memkind_free", kind, ptr, e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memkind_malloc_usable_size")]
    public static nuint UsableSize(KindStruct* kind, void* ptr)
    {
        if (ptr == null) return 0;
        try
        {
            MemoryKind? k = KindTable.OfBlock(kind, "memkind_malloc_usable_size", ptr);
            return k is null ? 0 : k.GetUsableSize(ptr);
        }
        catch (Exception e)
        {
            Failure.OfBlock("memkind_malloc_usable_size", kind, ptr, e);
            return 0;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memkind_defrag_reallocate")]
    public static void* DefragReallocate(KindStruct* kind, void* ptr)
    {
        if (ptr == null) return null;
        try
        {
            MemoryKind? k = KindTable.OfBlock(kind, "memkind_defrag_reallocate", ptr);
            return k is null ? null : k.DefragRealloc(ptr);
        }
        catch (Exception e)
        {
            Failure.OfBlock("memkind_defrag_reallocate", kind, ptr, e);
            return null;
        }
    }
}
