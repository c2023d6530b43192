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

    [LibraryImport(LibraryName, EntryPoint = "pthread_self")]
    internal static partial nuint PThreadSelf();

    /// <summary>Fills <paramref name="attributes"/> (a <c>pthread_attr_t</c>, at most <see cref="PThreadAttrSize"/> bytes) with the attributes of a running thread; returns an error number.</summary>
    [LibraryImport(LibraryName, EntryPoint = "pthread_getattr_np")]
    internal static partial int PThreadGetAttrNp(nuint thread, byte* attributes);

    [LibraryImport(LibraryName, EntryPoint = "pthread_attr_getstack")]
    internal static partial int PThreadAttrGetStack(byte* attributes, nuint* stackLow, nuint* stackSize);

    [LibraryImport(LibraryName, EntryPoint = "pthread_attr_destroy")]
    internal static partial int PThreadAttrDestroy(byte* attributes);

    [LibraryImport(LibraryName, EntryPoint = "pthread_key_create")]
    internal static partial int PThreadKeyCreate(uint* key, void* destructor);

    [LibraryImport(LibraryName, EntryPoint = "pthread_setspecific")]
    internal static partial int PThreadSetSpecific(uint key, void* value);

    [LibraryImport(LibraryName, EntryPoint = "getpid")]
    internal static partial int GetPid();

    [LibraryImport(LibraryName, EntryPoint = "gettid")]
    internal static partial int GetTid();

    [LibraryImport(LibraryName, EntryPoint = "tgkill", SetLastError = true)]
    internal static partial int TgKill(int processId, int threadId, int signal);

    /// <summary>Room for a <c>pthread_attr_t</c>: 56 bytes on x64 glibc, 64 on arm64; generous for other C libraries.</summary>
    internal const int PThreadAttrSize = 128;

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
