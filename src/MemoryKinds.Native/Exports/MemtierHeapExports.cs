using System.Numerics;
using System.Runtime.InteropServices;
using MemoryKinds.Native.Abi;

namespace MemoryKinds.Native.Exports;

/// <summary>
/// memkind's memtier allocation calls on a memtier memory: the memory's <see cref="TieredMemory"/> places each block
/// (falling back to the next tier when the chosen one is full), and <c>memtier_realloc</c> resizes within the block's
/// tier. Sizes of 0 give NULL, as memkind_malloc does; failures return NULL (or an error code) with memkind's errno; a
/// bad handle or pointer is reported by <see cref="Misuse"/> and changes nothing; no exception leaves a call.
/// </summary>
internal static unsafe class MemtierHeapExports
{
    [UnmanagedCallersOnly(EntryPoint = "memtier_malloc")]
    public static void* Malloc(void* memory, nuint size)
    {
        try
        {
            MemtierMemory? m = MemtierBlocks.MemoryOrReport(memory, "memtier_malloc");
            return m is null || size == 0 ? null : Libc.OrNoMemory(m.Tiers.TryAlloc(size));
        }
        catch (Exception e)
        {
            Failure.OfCall("memtier_malloc", e);
            return null;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memtier_calloc")]
    public static void* Calloc(void* memory, nuint num, nuint size)
    {
        try
        {
            MemtierMemory? m = MemtierBlocks.MemoryOrReport(memory, "memtier_calloc");
            if (m is null || num == 0 || size == 0) return null;
            return Libc.OrNoMemory(m.Tiers.TryAllocZeroed(num, size));
        }
        catch (Exception e)
        {
            Failure.OfCall("memtier_calloc", e);
            return null;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memtier_posix_memalign")]
    public static int PosixMemalign(void* memory, void** memptr, nuint alignment, nuint size)
    {
        if (memptr == null)
        {
            Misuse.Report("memtier_posix_memalign", "memptr is NULL; nothing was done");
            return ErrorCodes.EINVAL;
        }
        *memptr = null;
        // posix_memalign reports through its result and leaves errno as it was.
        int errno = Marshal.GetLastSystemError();
        try
        {
            MemtierMemory? m = MemtierBlocks.MemoryOrReport(memory, "memtier_posix_memalign");
            if (m is null) return ErrorCodes.EINVAL;
            if (alignment < (nuint)sizeof(void*) || !BitOperations.IsPow2(alignment)) return ErrorCodes.EINVAL;
            if (size == 0) return 0;
            *memptr = m.Tiers.TryAlignedAlloc(size, alignment);
            return *memptr != null ? 0 : ErrorCodes.ENOMEM;
        }
        catch (Exception e)
        {
            Failure.OfCall("memtier_posix_memalign", e);
            return ErrorCodes.ENOMEM;
        }
        finally
        {
            Libc.SetErrno(errno);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memtier_realloc")]
    public static void* Realloc(void* memory, void* ptr, nuint size)
    {
        const string call = "memtier_realloc";
        try
        {
            MemtierMemory? m = MemtierBlocks.MemoryOrReport(memory, call);
            if (m is null) return null;
            if (ptr == null) return size == 0 ? null : Libc.OrNoMemory(m.Tiers.TryAlloc(size));
            MemoryKind? owner = KindTable.OwnerOrReport(call, ptr);
            if (owner is null) return null;
            // memkind resizes within the block's kind whatever it is; a block of no tier of this memory is resized there.
            if (!m.HasTier(owner)) return MemtierBlocks.ReallocInKind(owner, KindTable.Of(owner), ptr, size);
            if (size == 0)
            {
                m.Tiers.Free(ptr);
                return null;
            }
            return Libc.OrNoMemory(m.Tiers.TryRealloc(ptr, size));
        }
        catch (Exception e)
        {
            Failure.OfBlock(call, null, ptr, e);
            return null;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memtier_usable_size")]
    public static nuint UsableSize(void* ptr)
    {
        if (ptr == null) return 0;
        try
        {
            MemoryKind? owner = KindTable.OwnerOrReport("memtier_usable_size", ptr);
            return owner is null ? 0 : owner.GetUsableSize(ptr);
        }
        catch (Exception e)
        {
            Failure.OfBlock("memtier_usable_size", null, ptr, e);
            return 0;
        }
    }
}
