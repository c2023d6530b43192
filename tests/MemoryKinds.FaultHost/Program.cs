using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.InteropServices;
using MemoryKinds;
using MemoryKinds.Reliability;

namespace MemoryKinds.FaultHost;

/// <summary>
/// Runs one fault scenario and reports on stdout. The last line is "PASS" (exit code 0) or "FAIL: why" (exit code 1);
/// anything else (a signal, an abort) is the kind of death the scenario exists to rule out. Scenarios that need a
/// small file system expect the caller (the test) to have mounted it.
/// </summary>
internal static unsafe partial class Program
{
    private const long MiB = 1L << 20;

    private static readonly Dictionary<string, (string Usage, Action<string[]> Run)> Scenarios = new()
    {
        ["hold"] = ("hold DIR BYTES [--spawn] [--no-tmpfile]: allocate and touch BYTES, print READY, sleep until killed", Hold),
        ["rlimit"] = ("rlimit DIR: under `ulimit -f`, allocate past RLIMIT_FSIZE; expect OutOfMemoryException, not SIGXFSZ", RLimit),
        ["nonroot-create"] = ("nonroot-create DIR...: try PmemKind.Create in each DIR, print RESULT lines (run under setpriv)", NonRootCreate),
        ["fork"] = ("fork DIR: fork() natively; the child writes into the heap; expect SIGSEGV in the child and the parent's data unchanged", Fork),
        ["fork-control"] = ("fork-control: the same child write into a MAP_SHARED anonymous page (shows the harness sees sharing)", ForkControl),
        ["fill"] = ("fill DIR POLICY: fill a small file system with one kind; clean OOM, heap usable, freed space reusable", Fill),
        ["ext4-partial"] = ("ext4-partial DIR: a request larger than a small ext4 file system fails and leaves no partial allocation", Ext4Partial),
        ["fill-race"] = ("fill-race DIR POLICY: another process fills the file system while the kind allocates", FillRace),
        ["punch-reuse"] = ("punch-reuse DIR POLICY: freed ranges are hole-punched, the file system is filled, the ranges are reused", PunchReuse),
        ["no-fallocate"] = ("no-fallocate DIR POLICY: a file system without fallocate (ramfs: no hole punching either; ext2: punching only): the kind keeps working, data intact", NoFallocate),
        ["dispose-race"] = ("dispose-race DIR POLICY ROUNDS [OP,OP...]: Dispose while 4 threads are inside Alloc/AllocZeroed/Realloc/Free/... (ops: alloc, alloc-large, zeroed-large, zeroed-small, aligned, try-alloc, realloc, free, free-or-transfer, free-transferred, usable-defrag, stats, detect)", DisposeRace),
        ["stress"] = ("stress DIR POLICY SECONDS THREADS SEED: the randomized stress run", Stress),
        ["main-thread-lookup"] = ("main-thread-lookup DIR: on the process's initial thread, allocate at stack depths up to 2 MiB; the stack lookup finds the thread's own table at each depth", MainThreadLookup),
        ["dead-thread-takeover"] = ("dead-thread-takeover DIR: a new thread takes over an exited thread's heap without a GC; the later finalization leaves it alone", DeadThreadTakeover),
        ["tiered-threads"] = ("tiered-threads DIR: tiered memory used by fresh threads one after another and by 4 at once; every byte counted back to zero", TieredThreads),
        ["long-stress"] = ("long-stress [MINUTES] [DIR...]: the long stress run on each DIR and policy; needs MEMKINDS_LONG_STRESS=1", LongStress),
    };

    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Scenarios.TryGetValue(args[0], out var scenario))
        {
            Console.Error.WriteLine("usage: MemoryKinds.FaultHost SCENARIO ARGS...");
            foreach (var (usage, _) in Scenarios.Values) Console.Error.WriteLine("  " + usage);
            return 2;
        }
        try
        {
            scenario.Run(args[1..]);
            Say("PASS");
            return 0;
        }
        catch (CheckFailedException e)
        {
            Say("FAIL: " + e.Message);
            return 1;
        }
        catch (NotRunException e)
        {
            Say("NOT RUN: " + e.Message);
            return 3;
        }
        catch (Exception e)
        {
            Say($"FAIL: unexpected {e}");
            return 1;
        }
    }

    // ------------------------------------------------------------------ helpers

    private sealed class CheckFailedException(string message) : Exception(message);

    private sealed class NotRunException(string message) : Exception(message);

    private static void Say(string line) => Console.Out.WriteLine(line);

    private static void Check(bool condition, string message)
    {
        if (!condition) throw new CheckFailedException(message);
    }

    private static MemoryUsagePolicy ParsePolicy(string text) => Enum.Parse<MemoryUsagePolicy>(text, ignoreCase: true);

    private static long Available(string path)
    {
        Native.StatVfs buffer;
        if (Native.statvfs(path, &buffer) != 0) throw new IOException($"statvfs({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        return (long)(buffer.BlocksAvailable * buffer.FragmentSize);
    }

    private static long Storage(MemoryKind kind) => kind.Source.StorageBytes;

    /// <summary>Fills a block with bytes derived from its address and a seed (every byte is written: a SIGBUS would happen here).</summary>
    private static void Paint(void* p, nuint size, byte seed)
    {
        var span = new Span<byte>(p, checked((int)size));
        span.Fill(seed);
        span[^1] = (byte)~seed;
    }

    private static bool Painted(void* p, nuint size, byte seed)
    {
        var span = new ReadOnlySpan<byte>(p, checked((int)size));
        bool ok = span[^1] == (byte)~seed && span[..^1].IndexOfAnyExcept(seed) < 0;
        if (!ok)
        {
            int bad = span[^1] != (byte)~seed ? span.Length - 1 : span[..^1].IndexOfAnyExcept(seed);
            int end = bad;
            while (end < span.Length - 1 && span[end] != seed) end++;
            Say($"  block 0x{(nint)p:x} of {size} bytes: byte {bad} is 0x{span[bad]:x2} (expected 0x{(bad == span.Length - 1 ? (byte)~seed : seed):x2}); the bad run ends at {end}");
        }
        return ok;
    }

    /// <summary>Runs a filler process (dd) that writes into <paramref name="dir"/> until the file system is full.</summary>
    private static Process StartFiller(string dir, string name = "filler")
    {
        var info = new ProcessStartInfo("dd") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        info.ArgumentList.Add("if=/dev/zero");
        info.ArgumentList.Add($"of={Path.Combine(dir, name)}");
        info.ArgumentList.Add("bs=64k");
        return Process.Start(info) ?? throw new InvalidOperationException("could not start dd");
    }

    private static void FillFromOutside(string dir, string name = "filler")
    {
        using Process dd = StartFiller(dir, name);
        string err = dd.StandardError.ReadToEnd();
        dd.WaitForExit();
        Say($"filler dd exited {dd.ExitCode}: {err.Trim().Replace('\n', ' ')}; available now {Available(dir)}");
    }

    /// <summary>Allocates <paramref name="size"/> with Alloc; null when it throws OutOfMemoryException (whose message is kept).</summary>
    private static void* AllocOrNull(MemoryKind kind, nuint size, ref string? oom)
    {
        try
        {
            return kind.Alloc(size);
        }
        catch (OutOfMemoryException e)
        {
            oom = e.Message;
            return null;
        }
    }

    private static void ValidateOrFail(MemoryKind kind, string when)
    {
        try
        {
            kind.Validate();
        }
        catch (InvalidOperationException e)
        {
            throw new CheckFailedException($"Validate {when}: {e.Message}");
        }
    }

    // ------------------------------------------------------------------ process faults

    private static void Hold(string[] args)
    {
        string dir = args[0];
        long bytes = long.Parse(args[1]);
        bool spawn = args.Contains("--spawn"), noTmpfile = args.Contains("--no-tmpfile");
        if (noTmpfile) FailOTmpfileOnThisThread();
        var kind = PmemKind.Create(dir);
        if (noTmpfile) ClearFaultInjector();
        for (long done = 0; done < bytes; done += MiB) Paint(kind.Alloc((nuint)MiB), (nuint)MiB, 0x5A);
        Say($"STORAGE {Storage(kind)}");
        Say($"NAMES {string.Join(',', Directory.GetFileSystemEntries(dir).Select(Path.GetFileName))}");
        if (spawn)
        {
            // Process.Start forks and execs: only descriptors without close-on-exec survive into `sleep`.
            var info = new ProcessStartInfo("sleep", "60") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            Process child = Process.Start(info) ?? throw new InvalidOperationException("could not start sleep");
            Say($"GRANDCHILD {child.Id}");
        }
        Say("READY");
        // Wait to be killed, but never outlive the test that started us: if the test host dies, we are re-parented.
        WaitWhileParentLives(TimeSpan.FromMinutes(10));
        GC.KeepAlive(kind);
        throw new CheckFailedException("the holder was not killed (its parent exited or 10 minutes passed)");
    }

    private static void WaitWhileParentLives(TimeSpan limit)
    {
        int parent = Native.getppid();
        var clock = Stopwatch.StartNew();
        while (Native.getppid() == parent && clock.Elapsed < limit) Thread.Sleep(200);
    }

    /// <summary>Makes O_TMPFILE fail with EOPNOTSUPP on this thread, through the library's fault-injection seam (internal: reached by reflection).</summary>
    private static void FailOTmpfileOnThisThread()
    {
        Assembly library = typeof(PmemKind).Assembly;
        Type os = library.GetType("MemoryKinds.Interop.Os", throwOnError: true)!;
        Type call = library.GetType("MemoryKinds.Interop.OsCall", throwOnError: true)!;
        FieldInfo field = os.GetField("FaultInjector", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)!;
        ParameterExpression which = Expression.Parameter(call, "call");
        Expression body = Expression.Condition(Expression.Equal(which, Expression.Constant(Enum.Parse(call, "OpenTempFile"))), Expression.Constant(95), Expression.Constant(0));
        field.SetValue(null, Expression.Lambda(field.FieldType, body, which).Compile());
    }

    private static void ClearFaultInjector()
    {
        Type os = typeof(PmemKind).Assembly.GetType("MemoryKinds.Interop.Os", throwOnError: true)!;
        os.GetField("FaultInjector", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)!.SetValue(null, null);
    }

    private static void RLimit(string[] args)
    {
        string dir = args[0];
        Native.RLimit limit;
        Check(Native.getrlimit(1 /* RLIMIT_FSIZE */, &limit) == 0, "getrlimit failed");
        Check(limit.Current != ulong.MaxValue, "RLIMIT_FSIZE is unlimited: run this scenario under `ulimit -f N`.");
        long max = (long)limit.Current;
        Say($"RLIMIT_FSIZE {max}");
        using var kind = PmemKind.Create(dir);
        var blocks = new List<nint>();
        string? oom = null;
        while (true)
        {
            void* p = AllocOrNull(kind, (nuint)MiB, ref oom);
            if (p == null) break;
            Paint(p, (nuint)MiB, 0x11);
            blocks.Add((nint)p);
            Check(blocks.Count <= 4096, "4 GiB allocated under a small RLIMIT_FSIZE");
        }
        Say($"1 MiB blocks: {blocks.Count}, then OutOfMemoryException: {oom}");
        Check(blocks.Count * MiB <= max, $"{blocks.Count} MiB allocated under RLIMIT_FSIZE {max}");
        Check(blocks.Count >= 1, "not even one 1 MiB block fit under the limit");
        Check(oom!.Contains("27"), "the OutOfMemoryException does not name errno 27 (EFBIG)");
        oom = null;
        Check(AllocOrNull(kind, (nuint)(4 * max), ref oom) == null, "a block 4x RLIMIT_FSIZE was allocated");
        Say($"4x limit block: OutOfMemoryException: {oom}");
        int small = 0;
        for (void* p; (p = AllocOrNull(kind, 3000, ref oom)) != null && small < 1_000_000; small++) Paint(p, 3000, 0x22);
        Say($"then {small} blocks of 3000 bytes, then OutOfMemoryException");
        ValidateOrFail(kind, "after hitting RLIMIT_FSIZE");
        foreach (nint p in blocks) Check(Painted((void*)p, (nuint)MiB, 0x11), "a block changed");
        foreach (nint p in blocks) kind.Free((void*)p);
        void* again = kind.Alloc((nuint)MiB);
        Paint(again, (nuint)MiB, 0x33);
        ValidateOrFail(kind, "after freeing");
        // A size-limited kind whose limit is above RLIMIT_FSIZE fails the same way.
        using var limited = PmemKind.Create(dir, Math.Max(PmemKind.MinSize, 4 * max));
        oom = null;
        Check(AllocOrNull(limited, (nuint)(2 * max), ref oom) == null, "a size-limited kind allocated 2x RLIMIT_FSIZE");
        Say($"limited kind, 2x limit block: OutOfMemoryException: {oom}");
    }

    private static void NonRootCreate(string[] args)
    {
        Say($"UID {Native.geteuid()}");
        foreach (string dir in args)
        {
            int fdsBefore = Directory.GetFileSystemEntries("/proc/self/fd").Length;
            string result;
            try
            {
                using PmemKind kind = PmemKind.Create(dir);
                kind.Free(kind.Alloc(100));
                result = "OK";
            }
            catch (Exception e)
            {
                result = $"{e.GetType().FullName} {e.Message}";
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            int fdsAfter = Directory.GetFileSystemEntries("/proc/self/fd").Length;
            Say($"RESULT {dir} FDS {fdsBefore} {fdsAfter} {result}");
        }
    }

    private static void Fork(string[] args)
    {
        string dir = args[0];
        using var kind = PmemKind.Create(dir, PmemKind.MinSize);
        byte* small = (byte*)kind.Alloc(64), large = (byte*)kind.Alloc((nuint)MiB);
        Paint(small, 64, 0x50);
        Paint(large, (nuint)MiB, 0x51);
        foreach ((string what, nint target) in new[] { ("small block", (nint)small), ("large block", (nint)large) })
        {
            (int signal, int exit, byte marker) = ForkAndWrite((byte*)target);
            Say($"CHILD {what}: signal {signal} exit {exit} marker {marker}");
            Check(marker >= 1, $"{what}: the forked child never reached the write (marker {marker})");
            Check(signal == 11, $"{what}: the forked child wrote into the heap and {(signal == 0 ? $"exited {exit}" : $"died by signal {signal}")}; it should have died by SIGSEGV (MADV_DONTFORK)");
        }
        Check(Painted(small, 64, 0x50), "the parent's small block changed after the child's write");
        Check(Painted(large, (nuint)MiB, 0x51), "the parent's large block changed after the child's write");
        ValidateOrFail(kind, "in the parent after fork");
        kind.Free(small);
        kind.Free(large);
        byte* again = (byte*)kind.Alloc(1000);
        Paint(again, 1000, 0x52);
        kind.Free(again);
        Say("PARENT data unchanged, heap consistent");
    }

    private static void ForkControl(string[] args)
    {
        byte* page = (byte*)Native.mmap(null, 4096, 3, 0x01 | 0x20 /* MAP_SHARED|MAP_ANONYMOUS */, -1, 0);
        Check(page != (byte*)-1, "mmap failed");
        page[0] = 0x50;
        (int signal, int exit, byte marker) = ForkAndWrite(page);
        Say($"CHILD shared page: signal {signal} exit {exit} marker {marker} value 0x{page[0]:x2}");
        Check(signal == 0 && exit == 0 && marker == 2, "the child did not complete its write into a shared page");
        Check(page[0] == 0x43, "the child's write into a MAP_SHARED page is not visible to the parent");
        Say("CONTROL the harness sees a child's write into a shared mapping");
    }

    /// <summary>
    /// fork(); the child sets SIGSEGV/SIGBUS to their default action, marks a shared page, stores one byte at
    /// <paramref name="target"/>, marks again and _exits. Only unmanaged calls without a GC transition run in the child.
    /// </summary>
    private static (int Signal, int Exit, byte Marker) ForkAndWrite(byte* target)
    {
        byte* marker = (byte*)Native.mmap(null, 4096, 3, 0x01 | 0x20, -1, 0);
        Check(marker != (byte*)-1, "mmap failed");
        nint libc = NativeLibrary.Load("libc.so.6");
        var fork = (delegate* unmanaged[SuppressGCTransition]<int>)NativeLibrary.GetExport(libc, "fork");
        var signal = (delegate* unmanaged[SuppressGCTransition]<int, nint, nint>)NativeLibrary.GetExport(libc, "signal");
        var exit = (delegate* unmanaged[SuppressGCTransition]<int, void>)NativeLibrary.GetExport(libc, "_exit");
        int pid = fork();
        if (pid == 0)
        {
            signal(11, 0);
            signal(7, 0);
            marker[0] = 1;
            *target = 0x43;
            marker[0] = 2;
            exit(0);
        }
        Check(pid > 0, $"fork failed: {Marshal.GetLastSystemError()}");
        int status;
        while (Native.waitpid(pid, &status, 0) < 0)
            Check(Marshal.GetLastPInvokeError() == 4, $"waitpid failed: errno {Marshal.GetLastPInvokeError()}");
        byte mark = marker[0];
        Native.munmap(marker, 4096);
        int sig = status & 0x7F;
        return sig is 0 or 0x7F ? (0, (status >> 8) & 0xFF, mark) : (sig, 0, mark);
    }

    // ------------------------------------------------------------------ space

    private static void Fill(string[] args)
    {
        string dir = args[0];
        MemoryUsagePolicy policy = ParsePolicy(args[1]);
        long start = Available(dir);
        Say($"available at start {start}");
        var kind = PmemKind.Create(new PmemConfig(dir) { UsagePolicy = policy });
        var blocks = new List<(nint P, nuint Size)>();
        string? oom = null;
        const nuint Medium = 256u << 10;
        for (void* p; (p = AllocOrNull(kind, Medium, ref oom)) != null;)
        {
            Paint(p, Medium, (byte)blocks.Count);
            blocks.Add(((nint)p, Medium));
            Check(blocks.Count < 100_000, "the kind never filled the file system");
        }
        Say($"{blocks.Count} blocks of 256 KiB, then OutOfMemoryException: {oom}");
        Check(blocks.Count > 0, "not one block fit");
        Check(oom!.Contains("28"), "the OutOfMemoryException does not name errno 28 (ENOSPC)");
        int mediumCount = blocks.Count;
        for (void* p; (p = AllocOrNull(kind, 100, ref oom)) != null;)
        {
            Paint(p, 100, (byte)blocks.Count);
            blocks.Add(((nint)p, 100));
            Check(blocks.Count < 1_000_000, "the kind never filled the file system with small blocks");
        }
        long full = Available(dir);
        Say($"then {blocks.Count - mediumCount} blocks of 100 bytes; file system available {full}");
        Check(full < MiB, $"allocations failed while the file system still had {full} bytes available");
        ValidateOrFail(kind, "when the file system is full");
        for (int i = 0; i < blocks.Count; i++) Check(Painted((void*)blocks[i].P, blocks[i].Size, (byte)i), $"block {i} changed");

        // The heap stays usable: a freed block's space serves the next allocation of that size.
        kind.Free((void*)blocks[3].P);
        void* again = kind.Alloc(Medium);
        Paint(again, Medium, 3);
        blocks[3] = ((nint)again, Medium);

        // Freed space is reusable: free every other medium block and allocate as many again.
        int freed = 0;
        for (int i = 0; i < mediumCount; i += 2, freed++) kind.Free((void*)blocks[i].P);
        int refilled = 0;
        for (int i = 0; i < mediumCount; i += 2, refilled++)
        {
            void* p = AllocOrNull(kind, Medium, ref oom);
            if (p == null) break;
            Paint(p, Medium, (byte)i);
            blocks[i] = ((nint)p, Medium);
        }
        Say($"freed {freed} blocks of 256 KiB, allocated {refilled} again");
        Check(refilled == freed, $"only {refilled} of {freed} freed 256 KiB blocks could be allocated again: {oom}");
        for (int i = 0; i < blocks.Count; i++) Check(Painted((void*)blocks[i].P, blocks[i].Size, (byte)i), $"block {i} changed after reuse");
        ValidateOrFail(kind, "after reuse");

        // Everything freed: one large block of half the file system fits.
        foreach ((nint p, _) in blocks) kind.Free((void*)p);
        long total = start / 2;
        void* big = AllocOrNull(kind, (nuint)total, ref oom);
        Check(big != null, $"after freeing everything, a block of half the file system ({total} bytes) did not fit: {oom}");
        Paint(big, (nuint)total, 0x77);
        kind.Free(big);
        ValidateOrFail(kind, "after freeing everything");
        Check(kind.GetStats().Allocated == 0, "allocated bytes left after freeing everything");
        kind.Dispose();
        long end = Available(dir);
        Say($"available after Dispose {end}");
        Check(end == start, $"after Dispose the file system has {end} bytes available, {start} at the start");
    }

    private static void Ext4Partial(string[] args)
    {
        string dir = args[0];
        long start = Available(dir);
        Say($"available at start {start}");
        using var kind = PmemKind.Create(dir);
        string? oom = null;
        Check(AllocOrNull(kind, (nuint)(2 * start), ref oom) == null, "a block twice the file system's free space was allocated");
        long afterFail = Available(dir);
        Say($"block of {2 * start} bytes: OutOfMemoryException: {oom}; available after {afterFail}, kind storage {Storage(kind)}");
        // ext4 keeps what a failed fallocate did allocate; the kind must give it back at once.
        Check(afterFail >= start - MiB, $"after the failed request the file system has {afterFail} bytes available, {start} before: the partial allocation was kept");
        var blocks = new List<nint>();
        for (void* p; (p = AllocOrNull(kind, (nuint)MiB, ref oom)) != null;)
        {
            Paint(p, (nuint)MiB, 0x66);
            blocks.Add((nint)p);
        }
        Say($"then {blocks.Count} blocks of 1 MiB, then OutOfMemoryException: {oom}");
        Check(blocks.Count * MiB >= start / 2, $"only {blocks.Count} MiB fit in {start} bytes");
        ValidateOrFail(kind, "with the ext4 file system full");
        foreach (nint p in blocks) kind.Free((void*)p);
    }

    private static void FillRace(string[] args)
    {
        string dir = args[0];
        MemoryUsagePolicy policy = ParsePolicy(args[1]);
        var kind = PmemKind.Create(new PmemConfig(dir) { UsagePolicy = policy });
        var blocks = new List<(nint P, nuint Size)>();
        var random = new Random(7);
        for (int i = 0; i < 32; i++)
        {
            void* p = kind.Alloc(64u << 10);
            Paint(p, 64u << 10, (byte)blocks.Count);
            blocks.Add(((nint)p, 64u << 10));
        }
        Say($"holding {blocks.Count} blocks; starting the filler");
        Process dd = StartFiller(dir);
        string? oom = null;
        int failures = 0, successes = 0;
        // Allocate and touch while dd writes: each allocation either fails cleanly or is fully writable.
        while (true)
        {
            nuint size = (nuint)random.Next(1000, 300_000);
            void* p = AllocOrNull(kind, size, ref oom);
            if (p == null)
            {
                failures++;
                if (dd.HasExited && failures >= 20) break;
                Thread.Yield();
                continue;
            }
            successes++;
            Paint(p, size, (byte)blocks.Count);
            blocks.Add(((nint)p, size));
            Check(blocks.Count < 100_000, "the file system never filled");
        }
        dd.WaitForExit();
        Say($"during the fill: {successes} allocations succeeded, {failures} failed cleanly ({oom}); dd exited {dd.ExitCode}; available {Available(dir)}");
        Check(Available(dir) < MiB, "the file system is not full after the filler");
        // Every held block is still backed: rewrite all of them (a SIGBUS here is the failure this scenario looks for).
        for (int i = 0; i < blocks.Count; i++)
        {
            Check(Painted((void*)blocks[i].P, blocks[i].Size, (byte)i), $"block {i} changed during the fill");
            Paint((void*)blocks[i].P, blocks[i].Size, (byte)(i + 1));
        }
        int extra = 0;
        for (void* p; extra < 10_000 && (p = AllocOrNull(kind, 64u << 10, ref oom)) != null; extra++)
        {
            Paint(p, 64u << 10, (byte)(blocks.Count + 1));
            blocks.Add(((nint)p, 64u << 10));
        }
        Say($"after the fill: {extra} more 64 KiB blocks, then OutOfMemoryException: {oom}");
        Check(extra < 10_000, "allocations kept succeeding on a full file system");
        ValidateOrFail(kind, "with the file system full");
        // The kind stays usable: freed blocks serve new allocations.
        for (int i = 0; i < 10; i++)
        {
            kind.Free((void*)blocks[i].P);
            void* p = AllocOrNull(kind, blocks[i].Size, ref oom);
            Check(p != null, $"a freed block of {blocks[i].Size} bytes could not be allocated again on a full file system: {oom}");
            Paint(p, blocks[i].Size, (byte)(i + 1));
            blocks[i] = ((nint)p, blocks[i].Size);
        }
        File.Delete(Path.Combine(dir, "filler"));
        for (int i = 0; i < 16; i++)
        {
            void* p = kind.Alloc(256u << 10);
            Paint(p, 256u << 10, (byte)(blocks.Count + 1));
            blocks.Add(((nint)p, 256u << 10));
        }
        Say("after the filler was removed: 4 MiB more allocated");
        for (int i = 0; i < blocks.Count; i++) Check(Painted((void*)blocks[i].P, blocks[i].Size, (byte)(i + 1)), $"block {i} changed");
        ValidateOrFail(kind, "at the end");
        foreach ((nint p, _) in blocks) kind.Free((void*)p);
        kind.Dispose();
    }

    private static void PunchReuse(string[] args)
    {
        string dir = args[0];
        MemoryUsagePolicy policy = ParsePolicy(args[1]);
        long start = Available(dir);
        var kind = PmemKind.Create(new PmemConfig(dir) { UsagePolicy = policy });
        var large = new List<nint>();
        var small = new List<nint>();
        for (int i = 0; i < 6; i++)
        {
            void* p = kind.Alloc((nuint)MiB);
            Paint(p, (nuint)MiB, 0x21);
            large.Add((nint)p);
        }
        for (int i = 0; i < 300; i++)
        {
            void* p = kind.Alloc(4000);
            Paint(p, 4000, 0x22);
            small.Add((nint)p);
        }
        long held = Storage(kind);
        foreach (nint p in large) kind.Free((void*)p);
        foreach (nint p in small) kind.Free((void*)p);
        // The storage of the freed ranges goes back: at once (Conservative) or from the purger within seconds (Default).
        var clock = Stopwatch.StartNew();
        long now = Storage(kind);
        while (now > held - 6 * MiB && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(200);
            now = Storage(kind);
        }
        Say($"{policy}: storage {held} while holding, {now} after freeing");
        Check(now <= held - 6 * MiB, $"the freed ranges were not hole-punched (storage {held} -> {now}): the scenario cannot test reuse");
        FillFromOutside(dir);
        Check(Available(dir) < MiB, "the file system is not full after the filler");
        // Reuse of the punched ranges: each allocation must fail cleanly or be fully writable, never SIGBUS.
        string? oom = null;
        int largeOk = 0, largeFailed = 0, smallOk = 0, smallFailed = 0;
        for (int i = 0; i < 6; i++)
        {
            void* p = AllocOrNull(kind, (nuint)MiB, ref oom);
            if (p == null) { largeFailed++; continue; }
            Paint(p, (nuint)MiB, 0x31);
            largeOk++;
        }
        for (int i = 0; i < 300; i++)
        {
            void* p = AllocOrNull(kind, 4000, ref oom);
            if (p == null) { smallFailed++; continue; }
            Paint(p, 4000, 0x32);
            smallOk++;
        }
        Say($"on the full file system: 1 MiB blocks {largeOk} ok / {largeFailed} OutOfMemoryException; 4000-byte blocks {smallOk} ok / {smallFailed} OutOfMemoryException ({oom})");
        Check(largeFailed > 0, "every 1 MiB block was allocated on a full file system although its storage had been punched");
        ValidateOrFail(kind, "after reuse on a full file system");
        File.Delete(Path.Combine(dir, "filler"));
        // Now leave exactly 2 MiB free: punched ranges are reserved again as far as the space goes, then refused.
        long leave = 2 * MiB, fill = Available(dir) - leave;
        using (var filler = new FileStream(Path.Combine(dir, "filler2"), FileMode.CreateNew))
        {
            var chunk = new byte[MiB];
            Array.Fill(chunk, (byte)1);
            for (long written = 0; written < fill; written += chunk.Length) filler.Write(chunk, 0, (int)Math.Min(chunk.Length, fill - written));
        }
        Say($"second filler leaves {Available(dir)} bytes available");
        var partial = new List<nint>();
        oom = null;
        for (int i = 0; i < 6; i++)
        {
            void* p = AllocOrNull(kind, (nuint)MiB, ref oom);
            if (p == null) break;
            Paint(p, (nuint)MiB, 0x35);
            partial.Add((nint)p);
        }
        Say($"with 2 MiB free: {partial.Count} blocks of 1 MiB, then {(oom is null ? "no failure" : "OutOfMemoryException: " + oom)}");
        Check(partial.Count is >= 1 and <= 2, $"with 2 MiB free, {partial.Count} blocks of 1 MiB were allocated (expected 1 or 2, then a clean failure)");
        foreach (nint p in partial) Check(Painted((void*)p, (nuint)MiB, 0x35), "a block allocated with 2 MiB free changed");
        foreach (nint p in partial) kind.Free((void*)p);
        File.Delete(Path.Combine(dir, "filler2"));
        for (int i = 0; i < 6; i++) Paint(kind.Alloc((nuint)MiB), (nuint)MiB, 0x41);
        ValidateOrFail(kind, "after the filler was removed");
        kind.Dispose();
        Check(Available(dir) == start, $"after Dispose the file system has {Available(dir)} bytes available, {start} at the start");
    }

    private static void NoFallocate(string[] args)
    {
        string dir = args[0];
        MemoryUsagePolicy policy = ParsePolicy(args[1]);
        using var kind = PmemKind.Create(new PmemConfig(dir) { UsagePolicy = policy });
        var source = (FileMemorySource)kind.Source;
        for (int round = 0; round < 3; round++)
        {
            var blocks = new List<(nint P, nuint Size)>();
            foreach (nuint size in new nuint[] { 100, 4000, 100_000, 2u << 20 })
            {
                for (int i = 0; i < 8; i++)
                {
                    void* p = kind.Alloc(size);
                    Paint(p, size, (byte)i);
                    blocks.Add(((nint)p, size));
                }
            }
            for (int i = 0; i < blocks.Count; i++) Check(Painted((void*)blocks[i].P, blocks[i].Size, (byte)(i % 8)), $"round {round}: block {i} changed");
            foreach ((nint p, _) in blocks) kind.Free((void*)p);
            ValidateOrFail(kind, $"after round {round}");
            Say($"round {round}: {blocks.Count} blocks allocated, written, freed; CanDecommit={source.CanDecommit} LastError={source.LastError}");
            // Let the purger try to give the space back (Default policy: after ~3 s); it must not abort the process.
            if (policy == MemoryUsagePolicy.Default && round == 0) Thread.Sleep(4500);
        }
    }

    // ------------------------------------------------------------------ lifetime

    private static void DisposeRace(string[] args)
    {
        string dir = args[0];
        MemoryUsagePolicy policy = ParsePolicy(args[1]);
        int rounds = int.Parse(args[2]);
        // Which calls the threads make (default: all); names from DisposeRaceOps.
        int[] ops = args.Length > 3 ? args[3].Split(',').Select(name => Array.IndexOf(DisposeRaceOps, name) is int i and >= 0 ? i : throw new ArgumentException($"unknown op {name}; known: {string.Join(',', DisposeRaceOps)}")).ToArray() : [.. Enumerable.Range(0, DisposeRaceOps.Length)];
        var outcomes = new ConcurrentDictionary<string, int>();
        for (int round = 0; round < rounds; round++)
        {
            var kind = PmemKind.Create(new PmemConfig(dir) { Size = 256 * MiB, UsagePolicy = policy });
            // Dirty memory first so AllocZeroed has to clear what it hands out (its clearing is part of the call).
            if (ops.Any(op => DisposeRaceOps[op].StartsWith("zeroed", StringComparison.Ordinal)))
            {
                var dirty = new List<nint>();
                for (int i = 0; i < 8; i++) { void* p = kind.Alloc(2u << 20); Paint(p, 2u << 20, 0xFF); dirty.Add((nint)p); }
                for (int i = 0; i < 500; i++) { void* p = kind.Alloc(1000); Paint(p, 1000, 0xFF); dirty.Add((nint)p); }
                foreach (nint p in dirty) kind.Free((void*)p);
            }

            var transfer = new ConcurrentQueue<nint>();
            const int Threads = 4;
            var errors = new Exception?[Threads];
            using var running = new CountdownEvent(Threads);
            var threads = new Thread[Threads];
            for (int t = 0; t < Threads; t++)
            {
                int id = t;
                threads[t] = new Thread(() => DisposeRaceWorker(kind, transfer, new Random(round * 16 + id), running, ops, out errors[id])) { IsBackground = true };
                threads[t].Start();
            }
            running.Wait();
            Thread.Sleep(round % 4);
            var disposing = Stopwatch.StartNew();
            kind.Dispose();
            if (Environment.GetEnvironmentVariable("FAULTHOST_VERBOSE") == "1") Say($"round {round}: Dispose took {disposing.ElapsedMilliseconds} ms");
            foreach (Thread thread in threads) Check(thread.Join(TimeSpan.FromSeconds(60)), $"round {round}: a thread never returned after Dispose");
            for (int t = 0; t < Threads; t++)
            {
                string outcome = errors[t]?.GetType().Name ?? "none";
                outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                Check(errors[t] is ObjectDisposedException, $"round {round}: thread {t} ended with {errors[t]?.ToString() ?? "no exception"}, not ObjectDisposedException");
            }
            while (transfer.TryDequeue(out nint p))
            {
                Exception? e = null;
                try { kind.Free((void*)p); } catch (Exception x) { e = x; }
                Check(e is ObjectDisposedException, $"round {round}: Free after Dispose gave {e?.GetType().Name ?? "no exception"}");
            }
        }
        Say($"{rounds} rounds; thread outcomes: {string.Join(", ", outcomes.Select(o => $"{o.Key} x{o.Value}"))}");
    }

    private static readonly string[] DisposeRaceOps = ["alloc", "alloc-large", "zeroed-large", "zeroed-small", "aligned", "try-alloc", "realloc", "free", "free-or-transfer", "free-transferred", "usable-defrag", "stats", "detect"];

    /// <summary>Calls every entry point in a loop until one throws (after Dispose); never touches the memory itself.</summary>
    private static void DisposeRaceWorker(PmemKind kind, ConcurrentQueue<nint> transfer, Random random, CountdownEvent running, int[] ops, out Exception? error)
    {
        var held = new List<nint>();
        long calls = 0;
        error = null;
        try
        {
            while (true)
            {
                if (++calls == 100) running.Signal();
                void* p = null;
                try
                {
                    switch (ops[random.Next(ops.Length)])
                    {
                        case 0: p = kind.Alloc((nuint)random.Next(0, 4000)); break;
                        case 1: p = kind.Alloc((nuint)random.Next(600_000, 2_000_000)); break;
                        case 2: p = kind.AllocZeroed(1, (nuint)random.Next(600_000, 2_000_000)); break;
                        case 3: p = kind.AllocZeroed((nuint)random.Next(1, 40), 100); break;
                        case 4: p = kind.AlignedAlloc((nuint)random.Next(1, 100_000), (nuint)1 << random.Next(4, 21)); break;
                        case 5: p = kind.TryAlloc((nuint)random.Next(0, 700_000)); break;
                        case 6:
                            if (held.Count > 0)
                            {
                                int k = random.Next(held.Count);
                                held[k] = (nint)kind.Realloc((void*)held[k], (nuint)random.Next(1, 1_500_000));
                            }
                            break;
                        case 7:
                            if (held.Count > 0)
                            {
                                kind.Free((void*)held[^1]);
                                held.RemoveAt(held.Count - 1);
                            }
                            break;
                        case 8:
                            if (held.Count > 0)
                            {
                                int k = random.Next(held.Count);
                                nint q = held[k];
                                held[k] = held[^1];
                                held.RemoveAt(held.Count - 1);
                                if (random.Next(2) == 0) kind.Free((void*)q);
                                else transfer.Enqueue(q);
                            }
                            break;
                        case 9:
                            if (transfer.TryDequeue(out nint r)) kind.Free((void*)r);
                            break;
                        case 10:
                            if (held.Count > 0)
                            {
                                int k = random.Next(held.Count);
                                kind.GetUsableSize((void*)held[k]);
                                void* moved = kind.DefragRealloc((void*)held[k]);
                                if (moved != null) held[k] = (nint)moved;
                            }
                            break;
                        case 11: kind.GetStats(); break;
                        case 12: MemoryKind.Detect(held.Count > 0 ? (void*)held[0] : null); break;
                    }
                }
                catch (OutOfMemoryException)
                {
                    // The kind is full: fine, keep going.
                }
                if (p != null) held.Add((nint)p);
                while (held.Count > 24)
                {
                    kind.Free((void*)held[^1]);
                    held.RemoveAt(held.Count - 1);
                }
            }
        }
        catch (Exception e)
        {
            error = e;
            if (calls < 100) running.Signal();
        }
    }

    // ------------------------------------------------------------------ stress

    private static void Stress(string[] args)
    {
        string dir = args[0];
        MemoryUsagePolicy policy = ParsePolicy(args[1]);
        var options = new StressOptions
        {
            Duration = TimeSpan.FromSeconds(double.Parse(args[2])),
            Rounds = 2,
            Threads = int.Parse(args[3]),
            Seed = int.Parse(args[4]),
            Log = line => Say("  " + line),
        };
        StressResult result = StressRun.RunOnPmem(dir, policy, options);
        Say($"stress {dir} {policy}: {result}");
        Check(result.Passed, "the stress run found failures");
    }

    private static void LongStress(string[] args)
    {
        if (Environment.GetEnvironmentVariable("MEMKINDS_LONG_STRESS") != "1")
            throw new NotRunException("the long stress run only runs with MEMKINDS_LONG_STRESS=1 (it takes minutes); it did not run and did not pass.");
        double minutes = args.Length > 0 ? double.Parse(args[0]) : 5;
        string[] roots = args.Length > 1 ? args[1..] : ["/tmp", "/dev/shm"];
        var failed = new List<string>();
        int seed = 1;
        foreach (string root in roots)
        {
            string dir = Path.Combine(root, $"memkinds-long-stress-{Environment.ProcessId}");
            Directory.CreateDirectory(dir);
            try
            {
                foreach (MemoryUsagePolicy policy in new[] { MemoryUsagePolicy.Default, MemoryUsagePolicy.Conservative })
                {
                    foreach (int threads in new[] { Environment.ProcessorCount * 2, 16 })
                    {
                        var options = new StressOptions
                        {
                            Duration = TimeSpan.FromMinutes(minutes / 4),
                            Rounds = 2,
                            Threads = threads,
                            Seed = seed++,
                            IterationsPerRound = 100_000,
                            Log = line => Say("  " + line),
                        };
                        Say($"long stress: {dir} ({root}), {policy}, {threads} threads, seed {options.Seed}, {options.Duration}");
                        StressResult result = StressRun.RunOnPmem(dir, policy, options);
                        Say($"  => {result}");
                        if (!result.Passed) failed.Add($"{root} {policy} {threads} threads seed {options.Seed}");
                    }
                }
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }
        Check(failed.Count == 0, "failed configurations: " + string.Join("; ", failed));
    }
}

internal static unsafe partial class Native
{
    [StructLayout(LayoutKind.Sequential)]
    public struct StatVfs
    {
        public ulong BlockSize, FragmentSize, Blocks, BlocksFree, BlocksAvailable, Files, FilesFree, FilesAvailable, FsId, Flags, NameMax;
        public fixed ulong Spare[6];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current, Maximum;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statvfs(string path, StatVfs* buffer);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getrlimit(int resource, RLimit* limit);

    [LibraryImport("libc")]
    public static partial uint geteuid();

    [LibraryImport("libc")]
    public static partial int getppid();

    [LibraryImport("libc", SetLastError = true)]
    public static partial int waitpid(int pid, int* status, int options);

    [LibraryImport("libc", SetLastError = true)]
    public static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int munmap(void* address, nuint length);
}
