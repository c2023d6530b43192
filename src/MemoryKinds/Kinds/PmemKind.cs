namespace MemoryKinds;

/// <summary>
/// A kind whose pages live in an unnamed temporary file in a directory: persistent memory on a DAX file system, CXL or
/// NVMe-backed mounts, tmpfs, ext4, xfs (memkind's <c>memkind_create_pmem</c>). The memory is volatile: the file vanishes
/// when the kind is disposed or the process ends, even by a crash.
/// </summary>
public sealed class PmemKind : MemoryKind
{
    /// <summary>The smallest size limit a kind accepts (MEMKIND_PMEM_MIN_SIZE, 16 MiB).</summary>
    public const long MinSize = 16L << 20;

    /// <summary>A size limit rounds up to a multiple of this (2 MiB).</summary>
    public const long ChunkSize = 2L << 20;

    private readonly FileMemorySource _file;
    private readonly Lazy<bool> _isDax;

    private PmemKind(FileMemorySource file, MemoryUsagePolicy policy, bool hardened)
        : base($"pmem{file.FileDescriptor:x8}", file, policy, hardened)
    {
        _file = file;
        _isDax = new Lazy<bool>(() => IsDax(_file.Directory));
    }

    /// <summary>The directory holding the kind's file, as a full path.</summary>
    public string Directory => _file.Directory;

    /// <summary>The size limit after rounding up to <see cref="ChunkSize"/>; 0 when unlimited.</summary>
    public long MaxSize => _file.Limit;

    /// <summary>Whether the directory is on a DAX file system (checked once, on first use).</summary>
    public bool IsDaxBacked => _isDax.Value;

    /// <summary>Creates a kind in <paramref name="directory"/> that uses at most <paramref name="maxSize"/> bytes of file space.</summary>
    /// <param name="directory">An existing, writable directory.</param>
    /// <param name="maxSize">0 for no limit but the file system; otherwise at least <see cref="MinSize"/>, rounded up to <see cref="ChunkSize"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSize"/> is negative, or between 0 and <see cref="MinSize"/>.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist or is not a directory.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable or on a read-only file system.</exception>
    /// <exception cref="IOException">Another OS error; the message names the directory and errno.</exception>
    public static PmemKind Create(string directory, long maxSize = 0) => Create(new PmemConfig(directory) { Size = maxSize });

    /// <summary>Creates a kind from <paramref name="config"/> (memkind_create_pmem_with_config).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> or its path is null.</exception>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The size is negative or between 0 and <see cref="MinSize"/>, or the policy is undefined.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist or is not a directory.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable or on a read-only file system.</exception>
    /// <exception cref="IOException">Another OS error; the message names the directory and errno.</exception>
    public static PmemKind Create(PmemConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(config.Path, nameof(config.Path));
        long maxSize = RoundMaxSize(config.Size);
        ThrowIfUndefined(config.UsagePolicy);
        FileMemorySource file = FileMemorySource.Create(config.Path, maxSize);
        try
        {
            return new PmemKind(file, config.UsagePolicy, config.Hardened);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Whether <paramref name="directory"/> is on a DAX file system (memkind_check_dax_path): a <c>MAP_SYNC</c> mapping of a file there succeeds.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is empty.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist or is not a directory.</exception>
    /// <exception cref="UnauthorizedAccessException">No file can be created there.</exception>
    public static bool IsDax(string directory) => FileMemorySource.ProbeDax(directory);

    private static long RoundMaxSize(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size, nameof(PmemConfig.Size));
        if (size == 0) return 0;
        if (size < MinSize) throw new ArgumentOutOfRangeException(nameof(PmemConfig.Size), size, $"A size limit must be 0 (unlimited) or at least {MinSize} bytes.");
        if (size > long.MaxValue - (ChunkSize - 1)) throw new ArgumentOutOfRangeException(nameof(PmemConfig.Size), size, "The size limit is too large.");
        return (size + ChunkSize - 1) & ~(ChunkSize - 1);
    }
}
