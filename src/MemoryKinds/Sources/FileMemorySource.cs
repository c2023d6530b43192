using MemoryKinds.Interop;

namespace MemoryKinds;

/// <summary>
/// Pages from an unnamed temporary file in a directory (memkind's pmem ops): the file is created with <c>O_TMPFILE</c>
/// (mode 0600, close-on-exec), so its space returns to the file system when the kind is destroyed, the process exits or crashes.
/// Storage is reserved with <c>fallocate</c> before a byte of it is mapped, so a full file system is a clean allocation
/// failure and never a SIGBUS; freed ranges are hole-punched and reserved again before reuse.
/// </summary>
public sealed unsafe class FileMemorySource : MemorySource
{
    private readonly int _fd;
    private readonly long _limit;
    private long _fileSize;
    private long _nextRegionOffset;
    private bool _cannotPunch;
    private int _disposed;

    private FileMemorySource(string directory, int fd, long limit)
    {
        Directory = directory;
        _fd = fd;
        _limit = limit;
    }

    /// <summary>The directory that holds the file, as a full path.</summary>
    public string Directory { get; }

    /// <summary>The descriptor of the backing file (for diagnostics; do not close it).</summary>
    public int FileDescriptor => _fd;

    /// <inheritdoc/>
    public override long Limit => _limit;

    /// <summary>The OS error of the last failed storage request, or 0.</summary>
    public int LastError { get; private set; }

    /// <summary>False once the file system has refused to punch holes (ramfs): freed space then stays with the kind.</summary>
    public override bool CanDecommit => !_cannotPunch;

    /// <inheritdoc/>
    public override string Description => Directory;

    /// <inheritdoc/>
    public override string FailureDetail => LastError == 0 ? "" : $", last file-system error {LastError}: {ErrnoText(LastError)}";

    /// <summary>The size of the file system when unlimited, else the limit (memkind_get_capacity).</summary>
    public override long Capacity
    {
        get
        {
            if (_limit != 0) return _limit;
            return Os.GetFileSystemSpace(Directory, out long total, out _) == 0 ? total : 0;
        }
    }

    /// <summary>The bytes of storage the file holds now (<c>st_blocks</c> × 512).</summary>
    public override long StorageBytes => Os.GetFileSpace(_fd, out _, out long allocated) == 0 ? allocated : -1;

    /// <summary>Creates the backing file in <paramref name="directory"/>.</summary>
    /// <param name="directory">An existing, writable directory.</param>
    /// <param name="limit">Most bytes the source will back at once; 0 for no limit but the file system.</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is empty or contains a NUL character.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist or is not a directory.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable (permissions or a read-only file system).</exception>
    /// <exception cref="IOException">Any other OS error; the message names the directory and the errno.</exception>
    public static FileMemorySource Create(string directory, long limit = 0)
    {
        int errno = TryCreate(directory, limit, out FileMemorySource? source);
        return source ?? throw DirectoryError(Path.GetFullPath(directory), errno);
    }

    /// <summary>
    /// Creates the backing file like <see cref="Create"/>, but reports an OS failure as its errno instead of an exception
    /// (for callers that must hand errno on, like the C ABI).
    /// </summary>
    /// <returns>0 with the new source, or the errno of the failed <c>open</c> with <paramref name="source"/> null.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is empty or contains a NUL character.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    public static int TryCreate(string directory, long limit, out FileMemorySource? source)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (directory.Contains('\0')) throw new ArgumentException("The directory path contains a NUL character.", nameof(directory));
        string fullPath = Path.GetFullPath(directory);
        int errno = Os.CreateTempFile(fullPath, out int fd);
        source = errno == 0 ? new FileMemorySource(fullPath, fd, limit) : null;
        return errno;
    }

    /// <summary>Turns an errno from opening a file in <paramref name="directory"/> into the documented exception.</summary>
    internal static Exception DirectoryError(string directory, int errno) => errno switch
    {
        Errno.ENOENT or Errno.ENOTDIR => new DirectoryNotFoundException($"Directory '{directory}' does not exist or is not a directory (errno {errno}: {ErrnoText(errno)})."),
        Errno.EACCES or Errno.EPERM or Errno.EROFS => new UnauthorizedAccessException($"Cannot create a file in '{directory}' (errno {errno}: {ErrnoText(errno)})."),
        Errno.ENAMETOOLONG => new PathTooLongException($"The path '{directory}' is too long (errno {errno})."),
        _ => new IOException($"Cannot create a file in '{directory}' (errno {errno}: {ErrnoText(errno)}).", errno),
    };

    /// <summary>Whether <paramref name="directory"/> is on a DAX file system: a one-page temporary file there must accept a
    /// <c>MAP_SHARED_VALIDATE|MAP_SYNC</c> mapping (memkind_pmem_validate_dir).</summary>
    internal static bool ProbeDax(string directory)
    {
        using FileMemorySource probe = Create(directory);
        return Os.ProbeDax(probe._fd) == 0;
    }

    internal static string ErrnoText(int errno) => System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno);

    /// <inheritdoc/>
    public override bool TryReserve(nuint size, out MemoryRegion region)
    {
        region = default;
        if (!TryReserveAddressSpace(size, out byte* address)) return false;
        region = new MemoryRegion(address, size, _nextRegionOffset);
        _nextRegionOffset += (long)size;
        return true;
    }

    /// <inheritdoc/>
    public override bool TryGrow(in MemoryRegion region, nuint offset, nuint length)
        => TryMap(region, offset, length) && TryRecommit(region, offset, length);

    /// <summary>
    /// Extends the file (sparse: no blocks) to cover the range and maps it <c>MAP_SHARED</c>. Nothing in the range may be
    /// written until <see cref="TryRecommit"/> has reserved it: a write into a hole takes blocks, and on a full file
    /// system raises SIGBUS.
    /// </summary>
    public override bool TryMap(in MemoryRegion region, nuint offset, nuint length)
    {
        long fileOffset = region.SourceOffset + (long)offset, end = fileOffset + (long)length;
        // Extending a file past RLIMIT_FSIZE raises SIGXFSZ, which kills the process: refuse instead.
        if (end > Os.FileSizeLimit()) return Fail(Errno.EFBIG);
        // The file must reach past the mapping: a page of a mapping beyond the end of its file raises SIGBUS when touched.
        int errno = end > _fileSize ? Os.Truncate(_fd, end) : 0;
        if (errno == 0) errno = Os.MapFileFixed(region.Base + offset, length, _fd, fileOffset);
        if (errno != 0)
        {
            if (end > _fileSize) Os.Truncate(_fd, _fileSize);
            return Fail(errno);
        }
        _fileSize = Math.Max(_fileSize, end);
        // A fork()ed child must not write into a shared heap whose metadata it only has a copy of: it gets no mapping.
        Os.Advise(region.Base + offset, length, LinuxConstants.MADV_DONTFORK);
        // No readahead: with it the page cache groups pages into large folios (ext4 on 6.x kernels), and a write into a
        // live page then takes a delayed-allocation reservation for its already punched neighbours in the same folio,
        // which no SEEK_DATA sees and which stays in st_blocks until punched again (a Conservative kind on ext4 kept
        // 54 of 82 MiB after freeing everything). Single pages also spare reading ahead what is never touched.
        Os.Advise(region.Base + offset, length, LinuxConstants.MADV_RANDOM);
        return true;
    }

    /// <summary>Reserves file blocks for the range (fresh from <see cref="TryMap"/> or punched by <see cref="Decommit"/>), which reads as zeros.</summary>
    public override bool TryRecommit(in MemoryRegion region, nuint offset, nuint length)
        => TryReserveBlocks(region.SourceOffset + (long)offset, (long)length);

    private bool TryReserveBlocks(long fileOffset, long length)
    {
        int errno = Reserve(fileOffset, length, keepSize: true);
        if (errno == 0) return true;
        // ext4 can keep part of a failed request: give it back so a failure leaves the file as it was.
        Os.PunchHole(_fd, fileOffset, length);
        return Fail(errno);
    }

    /// <summary>
    /// fallocate, or where the file system has none (ramfs, ext2) a write into every page: both reserve real blocks, and
    /// the ranges reserved here are fresh or decommitted, so they hold zeros either way.
    /// </summary>
    private int Reserve(long fileOffset, long length, bool keepSize)
    {
        int errno = Os.Allocate(_fd, keepSize, fileOffset, length);
        return errno == Errno.EOPNOTSUPP ? Os.WriteZeroPages(_fd, fileOffset, length) : errno;
    }

    /// <inheritdoc/>
    public override bool Decommit(in MemoryRegion region, nuint offset, nuint length)
    {
        if (_cannotPunch) return false;
        int errno = Os.PunchHole(_fd, region.SourceOffset + (long)offset, (long)length);
        if (errno == 0) return true;
        if (errno == Errno.EOPNOTSUPP) _cannotPunch = true;
        return Fail(errno);
    }

    /// <inheritdoc/>
    public override void Release(in MemoryRegion region) => ReleaseAddressSpace(region.Base, region.Size);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) Os.Close(_fd);
    }

    private bool Fail(int errno)
    {
        LastError = errno;
        return false;
    }
}
