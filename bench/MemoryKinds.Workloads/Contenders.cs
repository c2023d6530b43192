namespace MemoryKinds.Benchmarks;

/// <summary>A contender of the workload runner: an <see cref="IAllocator"/> struct behind a class so the workloads,
/// generic over the struct, are specialized per contender.</summary>
public abstract class Contender : IDisposable
{
    public abstract string Name { get; }
    /// <summary>The directory of its file, or null for anonymous memory.</summary>
    public string? Directory { get; init; }
    /// <summary>Bytes allocated to its file (st_blocks × 512), or null when it has no file.</summary>
    public Func<long>? FileBytes { get; init; }
    public abstract double Run(IWorkload workload);
    public abstract void Dispose();

    /// <summary>
    /// Allocates and frees one block, before any workload body is compiled. The bodies are compiled fully optimized at
    /// their first call, once: compiled before the allocator's classes were initialized, they kept an initialization
    /// check and a load of every static the fast path reads (tier-1 code reads such a static as a constant).
    /// </summary>
    public abstract void Prime();
}

public sealed class Contender<T>(T allocator) : Contender where T : struct, IAllocator
{
    public T Allocator = allocator;
    public override string Name => Allocator.Name;
    public override double Run(IWorkload workload) => workload.Run(Allocator);
    public override void Dispose() => Allocator.Dispose();
    public override unsafe void Prime() => Allocator.Free(Allocator.Alloc(64));
}

public static class Contenders
{
    public const string Native = "NativeMemory (glibc)";
    public static string MemkindPmem(string dir) => $"memkind pmem {dir}";

    /// <summary>Every contender that can be created; the others are reported in <paramref name="missing"/> with the
    /// command that installs them.</summary>
    public static List<Contender> CreateAll(List<string> missing, bool freshArena = false, bool memkindTmp = true)
    {
        var list = new List<Contender>
        {
            new Contender<NativeAllocator>(new NativeAllocator()),
            Kind(KindAllocator.Pmem(Dirs.Shm)),
            Kind(KindAllocator.Pmem(Dirs.Tmp)),
            new Contender<KindAllocator>(KindAllocator.Default()),
        };
        if (Memkind.IsAvailable)
        {
            list.Add(MemkindPmemContender(Dirs.Shm));
            if (memkindTmp) list.Add(MemkindPmemContender(Dirs.Tmp));
            list.Add(new Contender<MemkindAllocator>(MemkindAllocator.Default()));
        }
        else missing.Add(Memkind.MissingMessage);
        if (Mimalloc.IsAvailable)
        {
            list.Add(new Contender<MimallocAllocator>(MimallocAllocator.Create()));
            if (Mimalloc.HasArenas)
            {
                MimallocArenaAllocator arena = MimallocArenaAllocator.Create(Dirs.Shm, freshArena);
                int fd = arena.FileDescriptor;
                list.Add(new Contender<MimallocArenaAllocator>(arena) { Directory = Dirs.Shm, FileBytes = () => Libc.AllocatedBytes(fd) });
            }
            else missing.Add(Mimalloc.NoArenaMessage);
        }
        else
        {
            missing.Add(Mimalloc.MissingMessage);
            missing.Add($"mimalloc file-arena contender MISSING: needs {Mimalloc.LibraryName}. Install it with: {Mimalloc.InstallCommand}");
        }
        return list;
    }

    public static Contender Kind(KindAllocator allocator)
    {
        var pmem = (PmemKind)allocator.Kind;
        return new Contender<KindAllocator>(allocator) { Directory = pmem.Directory, FileBytes = () => pmem.Source.StorageBytes };
    }

    /// <summary>A memkind pmem kind; its file is the descriptor that appeared in /proc/self/fd when it was created.</summary>
    public static Contender MemkindPmemContender(string dir)
    {
        var before = OpenFiles();
        MemkindAllocator allocator = MemkindAllocator.Pmem(dir);
        int[] fds = OpenFiles().Where(kv => !before.ContainsKey(kv.Key) && kv.Value.StartsWith(dir + "/", StringComparison.Ordinal))
            .Select(kv => kv.Key).ToArray();
        return new Contender<MemkindAllocator>(allocator)
        {
            Directory = dir,
            FileBytes = fds.Length == 0 ? () => -1 : () => fds.Sum(Libc.AllocatedBytes),
        };
    }

    /// <summary>Descriptor → link target of this process's open files.</summary>
    public static Dictionary<int, string> OpenFiles()
    {
        var result = new Dictionary<int, string>();
        foreach (string path in System.IO.Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                string? target = new FileInfo(path).LinkTarget;
                if (target is not null && int.TryParse(Path.GetFileName(path), out int fd)) result[fd] = target;
            }
            catch (IOException) { }
        }
        return result;
    }

    /// <summary>The reference for "vs memkind pmem": memkind's pmem kind in the same directory (/dev/shm for contenders without a file).</summary>
    public static string MemkindReference(string contender) =>
        MemkindPmem(contender.Contains(Dirs.Tmp, StringComparison.Ordinal) ? Dirs.Tmp : Dirs.Shm);
}

/// <summary>Process memory from /proc/self/status; <see cref="ResetPeak"/> resets VmHWM (writes 5 to clear_refs).</summary>
public static class ProcessMemory
{
    public static long Rss => Read("VmRSS:");
    public static long PeakRss => Read("VmHWM:");

    public static bool ResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); return true; }
        catch (Exception) { return false; }
    }

    private static long Read(string key)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line[key.Length..].Trim().Split(' ')[0]) * 1024;
        return -1;
    }
}
