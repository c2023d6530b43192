using System.Runtime.InteropServices;

namespace MemoryKinds.Interop;

/// <summary>
/// Raw libc entry points. Every call sets errno, read back with <see cref="Marshal.GetLastPInvokeError"/>.
/// Only <see cref="Os"/> calls these; nothing above the sources layer touches them.
/// </summary>
internal static unsafe partial class Libc
{
    private const string LibraryName = "libc";

    [LibraryImport(LibraryName, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, int mode);

    [LibraryImport(LibraryName, EntryPoint = "mkostemp", SetLastError = true)]
    internal static partial int MkOsTemp(byte* template, int flags);

    [LibraryImport(LibraryName, EntryPoint = "unlink", SetLastError = true)]
    internal static partial int Unlink(byte* path);

    [LibraryImport(LibraryName, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(LibraryName, EntryPoint = "fallocate", SetLastError = true)]
    internal static partial int FAllocate(int fd, int mode, long offset, long length);

    [LibraryImport(LibraryName, EntryPoint = "pwrite", SetLastError = true)]
    internal static partial nint PWrite(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(LibraryName, EntryPoint = "ftruncate", SetLastError = true)]
    internal static partial int FTruncate(int fd, long length);

    [LibraryImport(LibraryName, EntryPoint = "mmap", SetLastError = true)]
    internal static partial void* MMap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(LibraryName, EntryPoint = "munmap", SetLastError = true)]
    internal static partial int MUnmap(void* address, nuint length);

    [LibraryImport(LibraryName, EntryPoint = "mprotect", SetLastError = true)]
    internal static partial int MProtect(void* address, nuint length, int protection);

    [LibraryImport(LibraryName, EntryPoint = "madvise", SetLastError = true)]
    internal static partial int MAdvise(void* address, nuint length, int advice);

    [LibraryImport(LibraryName, EntryPoint = "fstat", SetLastError = true)]
    internal static partial int FStat(int fd, byte* statBuffer);

    [LibraryImport(LibraryName, EntryPoint = "statvfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int StatVfs(string path, StatVfsBuffer* buffer);

    [LibraryImport(LibraryName, EntryPoint = "getrlimit", SetLastError = true)]
    internal static partial int GetRLimit(int resource, RLimit* limit);

    /// <summary><c>struct statvfs</c>: identical on x64 and arm64 glibc (all fields 64-bit).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct StatVfsBuffer
    {
        public ulong BlockSize, FragmentSize, Blocks, BlocksFree, BlocksAvailable, Files, FilesFree, FilesAvailable, FsId, Flags, NameMax;
        public fixed ulong Spare[6];
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct RLimit
    {
        public ulong Current, Maximum;
    }
}
