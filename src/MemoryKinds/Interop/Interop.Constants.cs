using System.Runtime.InteropServices;

namespace MemoryKinds.Interop;

/// <summary>Linux constants. All are the same on x64 and arm64 except where a property picks by architecture.</summary>
internal static class LinuxConstants
{
    public const int O_RDWR = 0x2;
    public const int O_EXCL = 0x80;
    public const int O_CLOEXEC = 0x80000;

    /// <summary><c>O_TMPFILE</c> = <c>__O_TMPFILE | O_DIRECTORY</c>; <c>O_DIRECTORY</c> differs: 0x10000 on x64, 0x4000 on arm64.</summary>
    public static int O_TMPFILE => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x404000 : 0x410000;

    public const int PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2;
    public const int MAP_SHARED = 0x1, MAP_PRIVATE = 0x2, MAP_SHARED_VALIDATE = 0x3, MAP_FIXED = 0x10,
        MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000, MAP_SYNC = 0x80000;

    public const int MADV_RANDOM = 1, MADV_DONTNEED = 4, MADV_DONTFORK = 10;
    public const int FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2;
    public const int RLIMIT_FSIZE = 1;
    public const ulong RLIM_INFINITY = ulong.MaxValue;

    /// <summary>Offsets in <c>struct stat</c>; the same on x64 and the generic arm64 layout.</summary>
    public const int StatSizeOffset = 48, StatBlocksOffset = 64, StatBufferSize = 256;
}

/// <summary>The errno values the sources act on.</summary>
internal static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENOMEM = 12, EACCES = 13, EEXIST = 17,
        ENOTDIR = 20, EISDIR = 21, EINVAL = 22, EFBIG = 27, ENOSPC = 28, EROFS = 30, ENAMETOOLONG = 36,
        ELOOP = 40, EOPNOTSUPP = 95, EDQUOT = 122;
}
