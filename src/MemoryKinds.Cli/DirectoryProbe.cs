namespace MemoryKinds.Cli;

/// <summary>What the tool finds out about a directory: file system, mount, space, DAX, fallocate and hole punching.</summary>
internal sealed record DirectoryReport(
    string Directory,
    string FileSystem,
    long FileSystemMagic,
    string? MountPoint,
    string? MountSource,
    string? MountOptions,
    long TotalBytes,
    long FreeBytes,
    long AvailableBytes,
    bool IsDax,
    bool TmpFile,
    ProbeResult Fallocate,
    ProbeResult HolePunch);

/// <summary>Outcome of one capability probe.</summary>
internal readonly record struct ProbeResult(bool Supported, string Detail);

/// <summary>Thrown for a directory that does not exist, is not a directory, or takes no files; the tool exits with 3.</summary>
internal sealed class BadDirectoryException(string message, Exception? inner = null) : Exception(message, inner);

internal static class DirectoryProbe
{
    private static readonly Dictionary<long, string> s_magic = new()
    {
        [0xEF53] = "ext2/ext3/ext4",
        [0x58465342] = "xfs",
        [0x01021994] = "tmpfs",
        [0x858458F6] = "ramfs",
        [0x958458F6] = "hugetlbfs",
        [0x9123683E] = "btrfs",
        [0xF2F52010] = "f2fs",
        [0x2FC12FC1] = "zfs",
        [0xCA451A4E] = "bcachefs",
        [0x794C7630] = "overlayfs",
        [0x6969] = "nfs",
        [0x65735546] = "fuse",
        [0xFF534D42] = "cifs",
        [0xFE534D42] = "smb2",
        [0x01021997] = "9p/v9fs",
        [0x4D44] = "vfat/msdos",
        [0x2011BAB0] = "exfat",
        [0x5346544E] = "ntfs",
        [0x9FA0] = "proc",
        [0x62656572] = "sysfs",
        [0x63677270] = "cgroup2",
        [0x1CD1] = "devpts",
        [0x3153464A] = "jfs",
        [0x52654973] = "reiserfs",
        [0x73717368] = "squashfs",
        [0x28CD3D45] = "cramfs",
        [0xE0F5E1E2] = "erofs",
        [0x9660] = "iso9660",
    };

    /// <summary>Resolves <paramref name="directory"/> to a full path and checks that it is an existing directory.</summary>
    public static string Resolve(string directory)
    {
        if (string.IsNullOrWhiteSpace(directory)) throw new BadDirectoryException("The directory must not be empty.");
        string full;
        try
        {
            full = Path.GetFullPath(directory);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new BadDirectoryException($"'{directory}' is not a valid path: {e.Message}", e);
        }
        if (File.Exists(full)) throw new BadDirectoryException($"'{full}' is a file, not a directory.");
        if (!System.IO.Directory.Exists(full)) throw new BadDirectoryException($"Directory '{full}' does not exist.");
        return full;
    }

    public static string FileSystemName(long magic) => s_magic.TryGetValue(magic & 0xFFFFFFFF, out string? name) ? name : $"unknown (0x{magic:X})";

    public static DirectoryReport Probe(string directory)
    {
        string full = Resolve(directory);
        int errno = Native.GetStatFs(full, out Native.StatFs fs);
        if (errno != 0) throw new BadDirectoryException($"statfs('{full}') failed: errno {errno} ({Native.ErrnoText(errno)}).");
        long unit = fs.FragmentSize != 0 ? fs.FragmentSize : fs.BlockSize;
        (string? mountPoint, string? source, string? fsName, string? options) = FindMount(full);

        // The same probe memkind_check_dax_path makes; it also proves a file can be created there.
        bool isDax;
        try
        {
            isDax = PmemKind.IsDax(full);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or DirectoryNotFoundException or IOException)
        {
            throw new BadDirectoryException($"Cannot create a file in '{full}': {e.Message}", e);
        }

        errno = Native.OpenTempFile(full, out int fd, out bool tmpFile);
        if (errno != 0) throw new BadDirectoryException($"Cannot create a file in '{full}': errno {errno} ({Native.ErrnoText(errno)}).");
        ProbeResult fallocate, punch;
        try
        {
            (fallocate, punch) = ProbeFile(fd);
        }
        finally
        {
            Native.Close(fd);
        }
        return new DirectoryReport(full, fsName ?? FileSystemName(fs.Type), fs.Type, mountPoint, source, options,
            fs.Blocks * unit, fs.BlocksFree * unit, fs.BlocksAvailable * unit, isDax, tmpFile, fallocate, punch);
    }

    private static (ProbeResult Fallocate, ProbeResult Punch) ProbeFile(int fd)
    {
        const long Size = 1L << 20, Hole = 64L << 10;
        int errno = Native.Fallocate(fd, 0, 0, Size);
        if (errno != 0)
        {
            string why = errno == Native.EOPNOTSUPP ? "not supported by the file system" : $"errno {errno} ({Native.ErrnoText(errno)})";
            return (new ProbeResult(false, why), new ProbeResult(false, "not probed (no fallocate)"));
        }
        var fallocate = new ProbeResult(true, "reserved 1 MiB");
        errno = Native.Fallocate(fd, Native.FALLOC_FL_PUNCH_HOLE | Native.FALLOC_FL_KEEP_SIZE, 0, Hole);
        if (errno != 0)
        {
            string why = errno == Native.EOPNOTSUPP ? "not supported by the file system" : $"errno {errno} ({Native.ErrnoText(errno)})";
            return (fallocate, new ProbeResult(false, why));
        }
        long data = Native.SeekData(fd, 0);
        string detail = data >= Hole ? "punched 64 KiB, hole seen with SEEK_DATA" : "punch accepted";
        return (fallocate, new ProbeResult(true, detail));
    }

    /// <summary>The mount holding <paramref name="path"/>, from /proc/self/mountinfo (the longest matching mount point).</summary>
    private static (string? MountPoint, string? Source, string? FsType, string? Options) FindMount(string path)
    {
        try
        {
            string real = new DirectoryInfo(path).ResolveLinkTarget(true)?.FullName ?? path;
            string? bestPoint = null, bestSource = null, bestType = null, bestOptions = null;
            foreach (string line in File.ReadLines("/proc/self/mountinfo"))
            {
                int dash = line.IndexOf(" - ", StringComparison.Ordinal);
                if (dash < 0) continue;
                string[] left = line[..dash].Split(' ');
                string[] right = line[(dash + 3)..].Split(' ');
                if (left.Length < 6 || right.Length < 3) continue;
                string point = Unescape(left[4]);
                bool under = real == point || point == "/" || real.StartsWith(point + "/", StringComparison.Ordinal);
                if (!under || (bestPoint is not null && point.Length < bestPoint.Length)) continue;
                bestPoint = point;
                bestType = right[0];
                bestSource = Unescape(right[1]);
                bestOptions = left[5] + "," + right[2];
            }
            return (bestPoint, bestSource, bestType, bestOptions);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, null, null, null);
        }
    }

    private static string Unescape(string s) => s.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
        .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);
}
