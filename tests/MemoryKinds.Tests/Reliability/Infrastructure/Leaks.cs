using MemoryKinds.Sources;
using System.Runtime.InteropServices;

namespace MemoryKinds.Tests.Reliability;

/// <summary>
/// What a failed call could leave behind: descriptors (/proc/self/fd), mappings (/proc/self/maps lines naming the
/// directory or a deleted kind file; address-space reservations and engine metadata through the library's own count of
/// what it has mapped and not unmapped) and files in the directory.
/// </summary>
/// <remarks>
/// Anonymous reservations cannot be told apart from the runtime's in /proc/self/maps (this kernel has no
/// PR_SET_VMA_ANON_NAME), and the runtime's own PROT_NONE total moves on its own (GC decommit, a malloc arena per new
/// thread), so they are counted where they are made: every reservation passes through MemorySource, every metadata
/// block through MetadataMemory, and each counts only an unmap that succeeded. The tests run in a non-parallel
/// collection, so no other test moves these counts meanwhile.
/// </remarks>
public sealed class LeakSnapshot
{
    private readonly string[] _watched;
    private readonly int _fdCount;
    private readonly HashSet<string> _fdTargets;
    private readonly HashSet<string> _maps;
    private readonly long _reservedBytes, _metadataBytes;
    private readonly Dictionary<string, HashSet<string>> _entries = new();

    private LeakSnapshot(string[] watched)
    {
        _watched = watched;
        Settle();
        (_fdCount, _fdTargets) = Descriptors();
        _maps = [.. File.ReadAllLines("/proc/self/maps")];
        (_reservedBytes, _metadataBytes) = (MemorySource.ReservedBytes, MetadataMemory.BytesInUse);
        foreach (string dir in watched) _entries[dir] = Entries(dir);
    }

    /// <summary>Takes a snapshot; <paramref name="watched"/> are directories whose files and mappings are watched.</summary>
    public static LeakSnapshot Take(params string[] watched) => new(watched);

    /// <summary>Asserts that nothing was added since the snapshot: no descriptor, no mapping, no file.</summary>
    public void AssertNothingLeft(string what)
    {
        Settle();
        (int fdCount, HashSet<string> targets) = Descriptors();
        string[] maps = File.ReadAllLines("/proc/self/maps");
        var problems = new List<string>();
        if (fdCount != _fdCount) problems.Add($"{fdCount} descriptors now, {_fdCount} before; new: {string.Join(", ", targets.Except(_fdTargets))}");
        foreach (string target in targets.Except(_fdTargets))
            if (_watched.Any(w => target.Contains(w, StringComparison.Ordinal))) problems.Add($"new descriptor to {target}");
        foreach (string line in maps.Where(l => !_maps.Contains(l)))
        {
            bool names = _watched.Any(w => line.Contains(w, StringComparison.Ordinal)) || line.Contains("(deleted)", StringComparison.Ordinal) && line.Contains("memkinds", StringComparison.Ordinal);
            if (names) problems.Add($"new mapping: {line}");
        }
        if (MemorySource.ReservedBytes != _reservedBytes)
            problems.Add($"memory sources hold {MemorySource.ReservedBytes} bytes of address space, {_reservedBytes} before");
        if (MetadataMemory.BytesInUse != _metadataBytes)
            problems.Add($"engine metadata in use is {MetadataMemory.BytesInUse} bytes, {_metadataBytes} before");
        foreach (string dir in _watched)
        {
            HashSet<string> now = Entries(dir);
            if (!now.SetEquals(_entries[dir])) problems.Add($"{dir} holds [{string.Join(", ", now)}], held [{string.Join(", ", _entries[dir])}]");
        }
        Assert.True(problems.Count == 0, $"{what} left something behind (/proc/self/maps has {maps.Length} lines, {_maps.Count} before):\n  {string.Join("\n  ", problems)}");
    }

    private static (int Count, HashSet<string> Targets) Descriptors()
    {
        var targets = new HashSet<string>();
        string[] fds = Directory.GetFileSystemEntries("/proc/self/fd");
        foreach (string fd in fds)
        {
            try
            {
                targets.Add(Path.GetFileName(fd) + " -> " + (new FileInfo(fd).LinkTarget ?? "?"));
            }
            catch (IOException)
            {
                // Closed between listing and reading (the listing's own descriptor).
            }
        }
        return (fds.Length, targets);
    }

    private static HashSet<string> Entries(string dir) => Directory.Exists(dir) ? [.. Directory.GetFileSystemEntries(dir)] : [];

    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}

/// <summary>Asserts that a call throws exactly the expected exception and leaves nothing behind.</summary>
public static class CleanFailure
{
    public static T Assert<T>(string what, Func<object?> call, params string[] watched) where T : Exception
    {
        // Warm the failure path up once so the runtime's lazy loading (resources, types) does not count as a leak.
        try { (call() as IDisposable)?.Dispose(); } catch (Exception) { }
        LeakSnapshot before = LeakSnapshot.Take(watched);
        Exception? thrown = null;
        object? result = null;
        try
        {
            result = call();
        }
        catch (Exception e)
        {
            thrown = e;
        }
        (result as IDisposable)?.Dispose();
        Xunit.Assert.True(thrown is not null && thrown.GetType() == typeof(T),
            $"{what}: expected {typeof(T).Name}, got {(thrown is null ? "no exception (the call succeeded)" : thrown.GetType().Name + ": " + thrown.Message)}.");
        before.AssertNothingLeft(what);
        return (T)thrown!;
    }
}

/// <summary>statvfs of a path.</summary>
public static unsafe partial class FsSpace
{
    public static long Available(string path)
    {
        StatVfs buffer;
        if (statvfs(path, &buffer) != 0) throw new IOException($"statvfs({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        return (long)(buffer.BlocksAvailable * buffer.FragmentSize);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfs
    {
        public ulong BlockSize, FragmentSize, Blocks, BlocksFree, BlocksAvailable, Files, FilesFree, FilesAvailable, FsId, Flags, NameMax;
        public fixed ulong Spare[6];
    }

    [LibraryImport("libc", EntryPoint = "statvfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statvfs(string path, StatVfs* buffer);
}
