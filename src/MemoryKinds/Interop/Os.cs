using System.Runtime.InteropServices;
using System.Text;
using static MemoryKinds.Interop.LinuxConstants;

namespace MemoryKinds.Interop;

/// <summary>The operating-system calls a memory source can make, named by what they do.</summary>
internal enum OsCall { OpenTempFile, MakeTempFile, Reserve, MapFile, Protect, Allocate, PunchHole, Truncate, Advise, Unmap }

/// <summary>
/// Thin errno-returning wrappers over <see cref="Libc"/> (0 = success), plus the fault-injection seam:
/// a test sets <see cref="FaultInjector"/> on its own thread and any call it answers with a non-zero errno
/// fails exactly as if the kernel had said so, without reaching the kernel.
/// </summary>
internal static unsafe class Os
{
    /// <summary>Per-thread test seam; null in production.</summary>
    [ThreadStatic] internal static Func<OsCall, int>? FaultInjector;

    public static nuint PageSize { get; } = (nuint)Environment.SystemPageSize;

    private static int Injected(OsCall call) => FaultInjector?.Invoke(call) ?? 0;

    private static int LastErrno() => Marshal.GetLastPInvokeError();

    /// <summary>Creates an unnamed file in <paramref name="directory"/> (O_TMPFILE, 0600, close-on-exec), falling back to mkostemp+unlink where O_TMPFILE is refused.</summary>
    public static int CreateTempFile(string directory, out int fd)
    {
        fd = -1;
        int errno = Injected(OsCall.OpenTempFile);
        if (errno == 0)
        {
            fd = Libc.Open(directory, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0x180);
            errno = fd < 0 ? LastErrno() : 0;
        }
        // EOPNOTSUPP: the file system has no O_TMPFILE; EISDIR: a kernel older than 3.11 read it as O_DIRECTORY.
        if (errno is Errno.EOPNOTSUPP or Errno.EISDIR)
        {
            // The directory exists (O_TMPFILE would have said ENOENT): if the named fallback cannot make a file there
            // either (/proc, /sys answer ENOENT), report the first refusal, not a missing directory.
            int fallback = CreateNamedTempFileAndUnlink(directory, out fd);
            errno = fallback == Errno.ENOENT ? errno : fallback;
        }
        return errno;
    }

    private static int CreateNamedTempFileAndUnlink(string directory, out int fd)
    {
        fd = -1;
        int errno = Injected(OsCall.MakeTempFile);
        if (errno != 0) return errno;
        byte[] template = Encoding.UTF8.GetBytes(Path.Join(directory, "memkinds.XXXXXX") + "\0");
        fixed (byte* path = template)
        {
            // mkostemp creates the file with mode 0600; it is unlinked at once so only the descriptor keeps it.
            fd = Libc.MkOsTemp(path, O_CLOEXEC);
            if (fd < 0) return LastErrno();
            if (Libc.Unlink(path) != 0)
            {
                errno = LastErrno();
                Libc.Close(fd);
                fd = -1;
                return errno;
            }
        }
        return 0;
    }

    /// <summary>Reserves inaccessible address space of <paramref name="size"/> bytes aligned to <paramref name="alignment"/> (a power of two, at least the page size).</summary>
    public static int Reserve(nuint size, nuint alignment, out byte* address)
    {
        address = null;
        int errno = Injected(OsCall.Reserve);
        if (errno != 0) return errno;
        nuint padded = size + alignment - PageSize;
        if (padded < size) return Errno.ENOMEM;
        byte* raw = (byte*)Libc.MMap(null, padded, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (raw == (byte*)-1) return LastErrno();
        byte* aligned = (byte*)(((nuint)raw + alignment - 1) & ~(alignment - 1));
        if (aligned > raw) Libc.MUnmap(raw, (nuint)(aligned - raw));
        byte* end = aligned + size, rawEnd = raw + padded;
        if (rawEnd > end) Libc.MUnmap(end, (nuint)(rawEnd - end));
        address = aligned;
        return 0;
    }

    /// <summary>Maps anonymous read-write memory of <paramref name="size"/> bytes that is only charged when touched.</summary>
    public static int MapAnonymous(nuint size, out byte* address)
    {
        address = (byte*)Libc.MMap(null, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (address != (byte*)-1) return 0;
        address = null;
        return LastErrno();
    }

    /// <summary>Maps file range [offset, offset+length) shared and writable at <paramref name="address"/>, replacing what the caller reserved there.</summary>
    public static int MapFileFixed(byte* address, nuint length, int fd, long offset)
    {
        int errno = Injected(OsCall.MapFile);
        if (errno != 0) return errno;
        void* result = Libc.MMap(address, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, offset);
        return result == (void*)-1 ? LastErrno() : 0;
    }

    public static int Protect(byte* address, nuint length, int protection)
    {
        int errno = Injected(OsCall.Protect);
        if (errno != 0) return errno;
        return Libc.MProtect(address, length, protection) == 0 ? 0 : LastErrno();
    }

    /// <summary>Reserves file blocks for [offset, offset+length) (<c>fallocate</c>), retrying on EINTR.</summary>
    public static int Allocate(int fd, bool keepSize, long offset, long length)
        => Fallocate(OsCall.Allocate, fd, keepSize ? FALLOC_FL_KEEP_SIZE : 0, offset, length);

    /// <summary>Returns the blocks of [offset, offset+length) to the file system; the range reads as zeros afterwards.</summary>
    public static int PunchHole(int fd, long offset, long length)
        => Fallocate(OsCall.PunchHole, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);

    private static int Fallocate(OsCall call, int fd, int mode, long offset, long length)
    {
        while (true)
        {
            int errno = Injected(call);
            if (errno == 0 && Libc.FAllocate(fd, mode, offset, length) != 0) errno = LastErrno();
            if (errno != Errno.EINTR) return errno;
        }
    }

    public static int Truncate(int fd, long length)
    {
        while (true)
        {
            int errno = Injected(OsCall.Truncate);
            if (errno == 0 && Libc.FTruncate(fd, length) != 0) errno = LastErrno();
            if (errno != Errno.EINTR) return errno;
        }
    }

    public static int Advise(byte* address, nuint length, int advice)
    {
        int errno = Injected(OsCall.Advise);
        if (errno != 0) return errno;
        return Libc.MAdvise(address, length, advice) == 0 ? 0 : LastErrno();
    }

    public static int Unmap(byte* address, nuint length)
    {
        int errno = Injected(OsCall.Unmap);
        if (errno != 0) return errno;
        return Libc.MUnmap(address, length) == 0 ? 0 : LastErrno();
    }

    public static void Close(int fd) => Libc.Close(fd);

    /// <summary>
    /// Reserves [offset, offset+length) where fallocate is missing, by writing a zero byte at the end of every 4 KiB page
    /// (pwrite): each page gets its block, and the file grows to cover the whole range (a mapping past the end of a file
    /// would silently drop what is written there). Only for ranges whose contents are zeros anyway.
    /// </summary>
    public static int WriteZeroPages(int fd, long offset, long length)
    {
        byte zero = 0;
        for (long page = offset; page < offset + length; page += 4096)
        {
            int errno = Injected(OsCall.Allocate);
            while (errno == 0 && Libc.PWrite(fd, &zero, 1, Math.Min(page + 4095, offset + length - 1)) != 1)
            {
                errno = LastErrno();
                if (errno == Errno.EINTR) errno = 0;
                else if (errno == 0) errno = Errno.EIO;
            }
            if (errno != 0) return errno;
        }
        return 0;
    }

    /// <summary>The file's size and the bytes of storage actually allocated to it (<c>st_blocks</c> × 512).</summary>
    public static int GetFileSpace(int fd, out long size, out long allocatedBytes)
    {
        byte* buffer = stackalloc byte[StatBufferSize];
        size = allocatedBytes = 0;
        if (Libc.FStat(fd, buffer) != 0) return LastErrno();
        size = *(long*)(buffer + StatSizeOffset);
        allocatedBytes = *(long*)(buffer + StatBlocksOffset) * 512;
        return 0;
    }

    /// <summary>Total and available bytes of the file system holding <paramref name="path"/>.</summary>
    public static int GetFileSystemSpace(string path, out long totalBytes, out long availableBytes)
    {
        Libc.StatVfsBuffer buffer;
        totalBytes = availableBytes = 0;
        if (Libc.StatVfs(path, &buffer) != 0) return LastErrno();
        totalBytes = (long)(buffer.Blocks * buffer.FragmentSize);
        availableBytes = (long)(buffer.BlocksAvailable * buffer.FragmentSize);
        return 0;
    }

    private static long s_fileSizeLimit, s_fileSizeLimitCheckedAt = long.MinValue / 2;

    /// <summary>The process's file size limit (<c>RLIMIT_FSIZE</c>), or <see cref="long.MaxValue"/> when unlimited; read again at most once a second.</summary>
    public static long FileSizeLimit()
    {
        long now = Environment.TickCount64;
        if (now - Volatile.Read(ref s_fileSizeLimitCheckedAt) < 1000) return Volatile.Read(ref s_fileSizeLimit);
        Libc.RLimit limit;
        long value = Libc.GetRLimit(RLIMIT_FSIZE, &limit) != 0 || limit.Current >= long.MaxValue ? long.MaxValue : (long)limit.Current;
        Volatile.Write(ref s_fileSizeLimit, value);
        Volatile.Write(ref s_fileSizeLimitCheckedAt, now);
        return value;
    }

    /// <summary>The calling thread's stack as <c>pthread_getattr_np</c> reports it: [<paramref name="low"/>, <paramref name="top"/>).</summary>
    /// <remarks>For the initial thread glibc derives the range from the stack limit, clamped to the mapping below the stack.</remarks>
    public static int GetThreadStack(out nuint low, out nuint top, out bool isInitialThread)
    {
        low = top = 0;
        isInitialThread = false;
        byte* attributes = stackalloc byte[Libc.PThreadAttrSize];
        int error = Libc.PThreadGetAttrNp(Libc.PThreadSelf(), attributes);
        if (error != 0) return error;
        nuint stackLow, stackSize;
        error = Libc.PThreadAttrGetStack(attributes, &stackLow, &stackSize);
        Libc.PThreadAttrDestroy(attributes);
        if (error != 0) return error;
        (low, top) = (stackLow, stackLow + stackSize);
        isInitialThread = Libc.GetTid() == Libc.GetPid();
        return 0;
    }

    /// <summary>The kernel's id of the calling thread.</summary>
    public static int CurrentThreadId() => Libc.GetTid();

    /// <summary>The kernel's id of this process.</summary>
    public static int CurrentProcessId() => Libc.GetPid();

    /// <summary>Set once <c>tgkill</c> turned out to be missing (musl exports none): every thread then reads as not ended.</summary>
    private static volatile bool s_noTgKill;

    /// <summary>
    /// Whether the thread <paramref name="threadId"/> of process <paramref name="processId"/>, which must be this one,
    /// has ended (signal 0 is not sent, only checked: ESRCH). False when unsure: another process's id (a fork child
    /// holding its parent's ids), or no <c>tgkill</c> in the C library.
    /// </summary>
    public static bool ThreadEnded(int processId, int threadId)
    {
        if (s_noTgKill || processId != Libc.GetPid()) return false;
        try
        {
            return Libc.TgKill(processId, threadId, 0) != 0 && LastErrno() == Errno.ESRCH;
        }
        catch (EntryPointNotFoundException)
        {
            s_noTgKill = true;
            return false;
        }
    }

    /// <summary>
    /// Creates a thread-specific key whose destructor is <paramref name="destructor"/>, a C function taking the value set
    /// with <see cref="SetThreadExitValue"/> on each thread; C runs it in the exiting thread, before its stack is reused.
    /// </summary>
    public static int CreateThreadExitKey(void* destructor, out uint key)
    {
        uint created;
        int error = Libc.PThreadKeyCreate(&created, destructor);
        key = created;
        return error;
    }

    /// <summary>
    /// libc's <c>pthread_mutexattr_init</c>, if it zeroes the first 4 bytes of its argument and nothing past the first 8
    /// (glibc and musl store the default mutex kind, 0; glibc on arm64 clears 8 bytes): checked here on a probe, since
    /// that store is what a thread-exit key built on it relies on.
    /// </summary>
    public static void* FindZeroingInitializer()
    {
        if (!NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "pthread_mutexattr_init", out nint initialize)) return null;
        ulong* probe = stackalloc ulong[2];
        probe[0] = ulong.MaxValue;
        probe[1] = 0xA5A5A5A5A5A5A5A5;
        int result = ((delegate* unmanaged<ulong*, int>)initialize)(probe);
        bool zeroesFirstWord = result == 0 && (probe[0] == 0 || probe[0] == 0xFFFFFFFF00000000) && probe[1] == 0xA5A5A5A5A5A5A5A5;
        return zeroesFirstWord ? (void*)initialize : null;
    }

    /// <summary>Sets the calling thread's value for <paramref name="key"/>: the argument its destructor gets at thread exit.</summary>
    public static int SetThreadExitValue(uint key, void* value) => Libc.PThreadSetSpecific(key, value);

    /// <summary>Probes for DAX: a <c>MAP_SHARED_VALIDATE|MAP_SYNC</c> mapping of a one-page file succeeds only on DAX (EOPNOTSUPP otherwise).</summary>
    public static int ProbeDax(int fd)
    {
        int errno = Truncate(fd, (long)PageSize);
        if (errno != 0) return errno;
        void* map = Libc.MMap(null, PageSize, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
        if (map == (void*)-1) return LastErrno();
        Libc.MUnmap(map, PageSize);
        return 0;
    }
}
