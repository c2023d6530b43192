using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MemoryKinds.Tests;

/// <summary>
/// Tests that count the process's file descriptors or mappings, or that mount file systems, run in this collection:
/// xunit runs it alone, after every parallel collection, so no other test opens descriptors or maps memory meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessResourcesCollection
{
    public const string Name = "Process resources (not parallel)";
}

/// <summary>What the process holds: descriptors, mappings, address space, file-system space.</summary>
public static unsafe partial class ProcessResources
{
    /// <summary>The number of entries in /proc/self/fd, after letting pending finalizers close what they own.</summary>
    public static int FdCount()
    {
        Settle();
        return Directory.GetFileSystemEntries("/proc/self/fd").Length;
    }

    /// <summary>The lines of /proc/self/maps that mention <paramref name="text"/> (for example a kind's directory).</summary>
    public static int MapsMentioning(string text)
    {
        Settle();
        return File.ReadAllLines("/proc/self/maps").Count(line => line.Contains(text, StringComparison.Ordinal));
    }

    /// <summary>The lines of /proc/self/maps that mention <paramref name="text"/>, for failure messages.</summary>
    public static string MapsLinesMentioning(string text)
        => string.Join('\n', File.ReadAllLines("/proc/self/maps").Where(line => line.Contains(text, StringComparison.Ordinal)).Take(20));

    /// <summary>The process's virtual size in bytes (VmSize in /proc/self/status).</summary>
    public static long VirtualBytes()
    {
        foreach (string line in File.ReadAllLines("/proc/self/status"))
        {
            if (!line.StartsWith("VmSize:", StringComparison.Ordinal)) continue;
            string[] parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(parts[1]) * 1024;
        }
        throw new InvalidOperationException("No VmSize line in /proc/self/status.");
    }

    /// <summary>A snapshot of descriptors and of the mappings that mention <paramref name="directory"/>.</summary>
    public static Snapshot Take(string directory) => new(FdCount(), MapsMentioning(directory), directory);

    public readonly record struct Snapshot(int Fds, int Maps, string Directory)
    {
        /// <summary>Asserts that the process holds exactly what it held at this snapshot.</summary>
        public void AssertUnchanged(string what)
        {
            int fds = FdCount();
            int maps = MapsMentioning(Directory);
            Assert.True(fds == Fds, $"{what}: the process had {Fds} file descriptors before and has {fds} now.");
            Assert.True(maps == Maps, $"{what}: /proc/self/maps had {Maps} lines mentioning {Directory} before and has {maps} now:\n{MapsLinesMentioning(Directory)}");
        }
    }

    /// <summary>Total and available bytes of the file system holding <paramref name="path"/>, from statvfs (f_frsize units).</summary>
    public static (long Total, long Available) FileSystemSpace(string path)
    {
        StatVfs buffer;
        if (statvfs(path, &buffer) != 0) throw new IOException($"statvfs({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        return ((long)(buffer.Blocks * buffer.FragmentSize), (long)(buffer.BlocksAvailable * buffer.FragmentSize));
    }

    /// <summary>Runs <c>mount</c>/<c>umount</c>; the result is the exit code and everything it printed.</summary>
    public static (int ExitCode, string Output) Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) info.ArgumentList.Add(argument);
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    /// <summary>
    /// Mounts a fresh tmpfs with <paramref name="options"/> on a new directory and returns it; dispose to unmount and
    /// remove the directory. Fails the test (never skips it) when the mount is refused.
    /// </summary>
    public static PrivateMount MountTmpfs(string options)
    {
        string path = Path.Combine("/tmp", $"memkinds-mount-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        (int code, string output) = Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            Assert.Fail($"This test needs to mount a tmpfs (mount -t tmpfs -o {options} tmpfs {path}) and cannot: exit code {code}: {output.Trim()}. Run the tests as root (or with CAP_SYS_ADMIN).");
        }
        return new PrivateMount(path);
    }

    public sealed class PrivateMount(string path) : IDisposable
    {
        public string Path { get; } = path;

        public void Dispose()
        {
            (int code, string output) = Run("umount", Path);
            if (code != 0) throw new IOException($"umount {Path} failed ({code}): {output}");
            Directory.Delete(Path);
        }
    }

    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
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

/// <summary>Small helpers for blocks: patterns, alignment.</summary>
public static unsafe class BlockChecks
{
    public static bool IsAligned(void* p, nuint alignment) => ((nuint)p & (alignment - 1)) == 0;

    public static void Fill(void* p, nuint size, byte value) => new Span<byte>(p, checked((int)size)).Fill(value);

    /// <summary>True when all <paramref name="size"/> bytes at <paramref name="p"/> equal <paramref name="value"/>.</summary>
    public static bool AllAre(void* p, nuint size, byte value) => new ReadOnlySpan<byte>(p, checked((int)size)).IndexOfAnyExcept(value) < 0;

    /// <summary>The offset of the first byte that differs from <paramref name="value"/>, or -1.</summary>
    public static int FirstNot(void* p, nuint size, byte value) => new ReadOnlySpan<byte>(p, checked((int)size)).IndexOfAnyExcept(value);

    /// <summary>The test policies, for theories over (file system, policy).</summary>
    public static TheoryData<string, MemoryUsagePolicy> FileSystemsAndPolicies => new()
    {
        { "ext4", MemoryUsagePolicy.Default },
        { "ext4", MemoryUsagePolicy.Conservative },
        { "tmpfs", MemoryUsagePolicy.Default },
        { "tmpfs", MemoryUsagePolicy.Conservative },
    };

    public static PmemKind Create(string fileSystem, long maxSize = PmemKind.MinSize, MemoryUsagePolicy policy = MemoryUsagePolicy.Default)
        => PmemKind.Create(new PmemConfig(TestDirectories.Get(fileSystem)) { Size = maxSize, UsagePolicy = policy });
}
