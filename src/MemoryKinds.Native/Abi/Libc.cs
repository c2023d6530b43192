using System.Runtime.InteropServices;

namespace MemoryKinds.Native.Abi;

/// <summary>The few libc calls the ABI layer makes itself; storage and mappings go through the library's sources.</summary>
internal static unsafe partial class Libc
{
    public const int MAP_SHARED = 0x01;

    [LibraryImport("libc", EntryPoint = "write")]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "abort")]
    public static partial void Abort();

    [LibraryImport("libc", EntryPoint = "getenv")]
    public static partial byte* GetEnv(byte* name);

    [LibraryImport("libc", EntryPoint = "malloc")]
    public static partial void* Malloc(nuint size);

    [LibraryImport("libc", EntryPoint = "free")]
    public static partial void Free(void* ptr);

    /// <summary>The static kinds' 128-byte slots from native/static_kinds.c, in partition order.</summary>
    [LibraryImport("memkinds_static", EntryPoint = "memkinds_static_kinds")]
    public static partial KindStruct* StaticKinds();

    /// <summary>memkind's ops tables from native/static_kinds.c: 0 default (DRAM), 1 pmem, 2 fixed.</summary>
    [LibraryImport("memkinds_static", EntryPoint = "memkinds_ops")]
    public static partial void* Ops(int which);

    /// <summary>The flag native/static_kinds.c raises in a fork()ed child.</summary>
    [LibraryImport("memkinds_static", EntryPoint = "memkinds_forked_child_flag")]
    public static partial int* ForkedChildFlag();

    /// <summary>Sets the calling thread's errno, as memkind's calls do on failure.</summary>
    public static void SetErrno(int errno) => Marshal.SetLastSystemError(errno);

    /// <summary>Returns <paramref name="p"/>, setting errno to ENOMEM first when it is NULL (malloc's failure).</summary>
    public static void* OrNoMemory(void* p)
    {
        if (p == null) SetErrno(ErrorCodes.ENOMEM);
        return p;
    }

    /// <summary>Writes all of <paramref name="text"/> to standard error in one call where possible (one line stays one line).</summary>
    public static void WriteStandardError(string text)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
        fixed (byte* start = bytes)
        {
            for (nuint done = 0; done < (nuint)bytes.Length;)
            {
                nint written = Write(2, start + done, (nuint)bytes.Length - done);
                if (written <= 0) return;
                done += (nuint)written;
            }
        }
    }

    /// <summary>The C string as .NET text (UTF-8), or null for a null pointer.</summary>
    public static string? Text(byte* value) => value == null ? null : Marshal.PtrToStringUTF8((nint)value);

    /// <summary>A malloc'ed copy of <paramref name="value"/>'s bytes with a terminating NUL; null when malloc fails.</summary>
    public static byte* Duplicate(byte* value)
    {
        nuint length = (nuint)new ReadOnlySpan<byte>(value, int.MaxValue).IndexOf((byte)0);
        byte* copy = (byte*)Malloc(length + 1);
        if (copy != null) Buffer.MemoryCopy(value, copy, length + 1, length + 1);
        return copy;
    }
}
