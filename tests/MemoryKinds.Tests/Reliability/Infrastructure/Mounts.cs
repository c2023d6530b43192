using System.Diagnostics;

namespace MemoryKinds.Tests.Reliability;

/// <summary>
/// Private file systems for one test: small tmpfs, ramfs, read-only tmpfs and bind mounts, a small ext4 image.
/// Each is mounted on a fresh directory under /tmp and unmounted (and removed) on Dispose. Mounting needs root
/// (CI runs as root): when it is refused the test FAILS with the reason, it is never skipped.
/// </summary>
public sealed class Mount : IDisposable
{
    private readonly List<string> _cleanup = [];
    private bool _mounted;

    private Mount(string path) => Path = path;

    /// <summary>The mount point.</summary>
    public string Path { get; }

    public static Mount Tmpfs(string options) => Create("tmpfs", ["-t", "tmpfs", "-o", options, "tmpfs"]);

    public static Mount Ramfs() => Create("ramfs", ["-t", "ramfs", "ramfs"]);

    /// <summary>A read-only bind mount of <paramref name="source"/> (two steps: bind, then remount read-only).</summary>
    public static Mount ReadOnlyBind(string source)
    {
        Mount mount = Create("bind", ["--bind", source]);
        (int code, string output) = Shell.Run("mount", "-o", "remount,bind,ro", mount.Path);
        if (code != 0)
        {
            mount.Dispose();
            Assert.Fail($"This test needs a read-only bind mount (mount -o remount,bind,ro {mount.Path}) and cannot make one: exit code {code}: {output.Trim()}. Run the tests as root.");
        }
        return mount;
    }

    /// <summary>A fresh ext4 file system of <paramref name="megabytes"/> MiB in an image file, loop-mounted.</summary>
    public static Mount Ext4Image(int megabytes) => Image("ext4", megabytes);

    /// <summary>A fresh ext2 file system (no extents: no fallocate, hole punching works) of <paramref name="megabytes"/> MiB, loop-mounted.</summary>
    public static Mount Ext2Image(int megabytes) => Image("ext2", megabytes);

    private static Mount Image(string type, int megabytes)
    {
        string image = System.IO.Path.Combine("/tmp", $"memkinds-{type}-{Environment.ProcessId}-{Guid.NewGuid():N}.img");
        using (var file = new FileStream(image, FileMode.CreateNew)) file.SetLength((long)megabytes << 20);
        (int code, string output) = Shell.Run("mkfs." + type, "-q", "-F", image);
        if (code != 0)
        {
            File.Delete(image);
            Assert.Fail($"This test needs mkfs.{type} (e2fsprogs) to build a {megabytes} MiB {type} image and it failed: exit code {code}: {output.Trim()}.");
        }
        Mount mount;
        try
        {
            mount = Create(type, ["-t", type, "-o", "loop", image]);
        }
        catch
        {
            File.Delete(image);
            throw;
        }
        mount._cleanup.Add(image);
        return mount;
    }

    private static int s_staleRemoved;

    /// <summary>
    /// Unmounts what an earlier test run that crashed left behind: mount points named like ours whose process id no
    /// longer exists (a busy one is left alone). Once per process.
    /// </summary>
    private static void RemoveStaleMounts()
    {
        if (Interlocked.Exchange(ref s_staleRemoved, 1) != 0) return;
        var ours = new System.Text.RegularExpressions.Regex(@"^/tmp/memkinds-(tmpfs|ramfs|bind|ext4|ext2)-(\d+)-[0-9a-f]{32}$");
        foreach (string line in File.ReadAllLines("/proc/mounts"))
        {
            string[] fields = line.Split(' ');
            if (fields.Length < 2 || ours.Match(fields[1]) is not { Success: true } match) continue;
            if (int.Parse(match.Groups[2].Value) == Environment.ProcessId || Directory.Exists($"/proc/{match.Groups[2].Value}")) continue;
            if (Shell.Run("umount", fields[1]).ExitCode == 0)
            {
                try { Directory.Delete(fields[1], recursive: true); } catch (IOException) { }
            }
        }
    }

    private static Mount Create(string what, string[] arguments)
    {
        RemoveStaleMounts();
        string path = System.IO.Path.Combine("/tmp", $"memkinds-{what}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        var mount = new Mount(path);
        (int code, string output) = Shell.Run("mount", [.. arguments, path]);
        if (code != 0)
        {
            Directory.Delete(path);
            Assert.Fail($"This test needs to mount a file system (mount {string.Join(' ', arguments)} {path}) and cannot: exit code {code}: {output.Trim()}. Run the tests as root (CAP_SYS_ADMIN); this is a failure, not a skip.");
        }
        mount._mounted = true;
        return mount;
    }

    public void Dispose()
    {
        if (_mounted)
        {
            (int code, string output) = Shell.Run("umount", Path);
            if (code != 0)
            {
                // A child process may still be exiting: one lazy unmount so the machine is not left with the mount.
                (code, string lazy) = Shell.Run("umount", "-l", Path);
                if (code != 0) throw new IOException($"umount {Path} failed: {output} / {lazy}");
            }
            _mounted = false;
        }
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        foreach (string file in _cleanup) File.Delete(file);
    }
}

/// <summary>Runs a command to completion and returns its exit code and everything it printed.</summary>
public static class Shell
{
    public static (int ExitCode, string Output) Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (string argument in arguments) info.ArgumentList.Add(argument);
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        process.StandardInput.Close();
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.GetAwaiter().GetResult());
    }
}
