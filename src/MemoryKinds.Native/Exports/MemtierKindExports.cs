using System.Numerics;
using System.Runtime.InteropServices;
using MemoryKinds.Native.Abi;

namespace MemoryKinds.Native.Exports;

/// <summary>
/// memkind's memtier calls on a kind: memkind_malloc and the rest, counting the blocks' usable bytes per kind for
/// <c>memtier_kind_allocated_size</c> (<see cref="KindTierUsage"/>), which also counts what memtier memories placed in
/// the kind. A NULL kind in free and realloc means "the kind that owns the block"; <c>memtier_kind_free(NULL, ptr)</c>
/// (<c>memtier_free</c>) frees through a memtier memory with that kind as a tier. Errors as in <see cref="HeapExports"/>.
/// </summary>
internal static unsafe class MemtierKindExports
{
    [UnmanagedCallersOnly(EntryPoint = "memtier_kind_malloc")]
    public static void* Malloc(KindStruct* kind, nuint size)
    {
        try
        {
            MemoryKind? k = KindTable.Resolve(kind, "memtier_kind_malloc");
            return k is null || size == 0 ? null : MemtierBlocks.CountedInKind(k, KindTable.Find(kind), k.TryAlloc(size));
        }
        catch (Exception e)
        {
            Failure.OfCall("memtier_kind_malloc", e);
            return null;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memtier_kind_calloc")]
    public static void* Calloc(KindStruct* kind, nuint num, nuint size)
    {
        try
        {
            MemoryKind? k = KindTable.Resolve(kind, "memtier_kind_calloc");
            // TryAllocZeroed returns null when num * size overflows, as well as when the kind is full.
            return k is null || num == 0 || size == 0 ? null : MemtierBlocks.CountedInKind(k, KindTable.Find(kind), k.TryAllocZeroed(num, size));
        }
        catch (Exception e)
        {
            Failure.OfCall("memtier_kind_calloc", e);
            return null;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memtier_kind_posix_memalign")]
    public static int PosixMemalign(KindStruct* kind, void** memptr, nuint alignment, nuint size)
    {
        if (memptr == null)
        {
            Misuse.Report("memtier_kind_posix_memalign", "memptr is NULL; nothing was done");
            return ErrorCodes.EINVAL;
        }
        *memptr = null;
        // posix_memalign reports through its result and leaves errno as it was.
        int errno = Marshal.GetLastSystemError();
        try
        {
            MemoryKind? k = KindTable.Resolve(kind, "memtier_kind_posix_memalign");
            if (k is null) return KindTable.Find(kind) is null ? ErrorCodes.EINVAL : ErrorCodes.ENOMEM;
            if (alignment < (nuint)sizeof(void*) || !BitOperations.IsPow2(alignment)) return ErrorCodes.EINVAL;
            if (size == 0) return 0;
            *memptr = MemtierBlocks.CountedInKind(k, KindTable.Find(kind), k.TryAlignedAlloc(size, alignment));
            return *memptr == null ? ErrorCodes.ENOMEM : 0;
        }
        catch (Exception e)
        {
            Failure.OfCall("memtier_kind_posix_memalign", e);
            return ErrorCodes.ENOMEM;
        }
        finally
        {
            Libc.SetErrno(errno);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memtier_kind_realloc")]
    public static void* Realloc(KindStruct* kind, void* ptr, nuint size)
    {
        const string call = "memtier_kind_realloc";
        try
        {
            if (kind == null && ptr == null)
            {
                // As memkind_realloc: with neither a kind nor a block there is nothing to find the kind from.
                Libc.SetErrno(ErrorCodes.EINVAL);
                return null;
            }
            MemoryKind? k = KindTable.OfBlock(kind, call, ptr);
            if (k is null) return null;
            AbiKind? entry = kind == null ? KindTable.Of(k) : KindTable.Find(kind);
            if (ptr == null) return size == 0 ? null : MemtierBlocks.CountedInKind(k, entry, k.TryAlloc(size));
            return MemtierBlocks.ReallocInKind(k, entry, ptr, size);
        }
        catch (Exception e)
        {
            Failure.OfBlock(call, kind, ptr, e);
            return null;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memtier_kind_free")]
    public static void Free(KindStruct* kind, void* ptr)
    {
        if (ptr == null) return;
        try
        {
            if (kind == null)
            {
                MemtierBlocks.Free("memtier_free", ptr);
                return;
            }
            MemoryKind? k = KindTable.Resolve(kind, "memtier_kind_free", ptr);
            if (k is not null) MemtierBlocks.FreeInKind(k, KindTable.Find(kind), ptr);
        }
        catch (Exception e)
        {
            Failure.OfBlock(kind == null ? "memtier_free" : "memtier_kind_free", kind, ptr, e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memtier_kind_allocated_size")]
    public static nuint AllocatedSize(KindStruct* kind)
    {
        const string call = "memtier_kind_allocated_size";
        try
        {
            if (ForkGuard.Refuses(call)) return 0;
            AbiKind? entry = KindTable.Find(kind);
            if (entry is null)
            {
                // memkind's own test asks a destroyed kind and expects 0: its count went with it.
                Misuse.Report(call, kind == null ? "the kind is NULL; 0 returned" : $"{Misuse.Pointer(kind)} is not a live kind (never created, or destroyed); 0 returned");
                return 0;
            }
            return entry.Kind is { } k && entry.TierUsageIfAny is { } usage ? (nuint)usage.Total(k) : 0;
        }
        catch (Exception e)
        {
            Failure.OfCall(call, e);
            return 0;
        }
    }
}
