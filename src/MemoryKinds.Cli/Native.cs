using System.Runtime.InteropServices;

namespace MemoryKinds.Cli;

/// <summary>The few libc calls the tool makes itself (the library keeps its interop internal).</summary>
internal static unsafe partial class Native
{
    public const int EINTR = 4, EISDIR = 21, EINVAL = 22, EOPNOTSUPP = 95, ENOSYS = 38;
    public const int FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02;
    private const int O_RDWR = 0x2, O_CREAT = 0x40, O_EXCL = 0x80;

    // O_TMPFILE is __O_TMPFILE | O_DIRECTORY; O_DIRECTORY and O_CLOEXEC differ between x64 and arm64.
    private static bool IsArm => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;
    private static int O_DIRECTORY => IsArm ? 0x4000 : 0x10000;
    private static int O_CLOEXEC => 0x80000;
    private static int O_TMPFILE => 0x400000 | O_DIRECTORY;

    /// <summary>struct statfs on 64-bit Linux (all fields are 8 bytes wide).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct StatFs
    {
        public long Type, BlockSize, Blocks, BlocksFree, BlocksAvailable, Files, FilesFree, FsId, NameLength, FragmentSize, Flags;
        public long Spare0, Spare1, Spare2, Spare3;
    }

    [LibraryImport("libc", EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statfs(string path, out StatFs buf);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int unlink(string path);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int fallocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long lseek(int fd, long offset, int whence);

    public static int GetStatFs(string path, out StatFs result)
        => statfs(path, out result) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Opens an unnamed file in <paramref name="directory"/> (O_TMPFILE), or a named one unlinked at once where O_TMPFILE is refused.</summary>
    /// <returns>0 and the descriptor, or the errno.</returns>
    public static int OpenTempFile(string directory, out int fd, out bool usedTmpFile)
    {
        usedTmpFile = true;
        fd = open(directory, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0x180);
        if (fd >= 0) return 0;
        int errno = Marshal.GetLastPInvokeError();
        if (errno is not (EOPNOTSUPP or EISDIR or EINVAL)) return errno;
        usedTmpFile = false;
        string name = Path.Combine(directory, $".memkinds-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0x180);
        if (fd < 0) return Marshal.GetLastPInvokeError();
        unlink(name);
        return 0;
    }

    public static int Fallocate(int fd, int mode, long offset, long length)
    {
        while (true)
        {
            if (fallocate(fd, mode, offset, length) == 0) return 0;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR) return errno;
        }
    }

    /// <summary>The offset of the first hole at or after <paramref name="offset"/> (SEEK_HOLE), or -1.</summary>
    public static long SeekHole(int fd, long offset) => lseek(fd, offset, 4);

    /// <summary>The offset of the first data at or after <paramref name="offset"/> (SEEK_DATA), or -1.</summary>
    public static long SeekData(int fd, long offset) => lseek(fd, offset, 3);

    public static string ErrnoText(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
