using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MemoryKinds.Tests.Conformance;

/// <summary>Constants and helpers shared by the ports of memkind's pmem tests.</summary>
internal static unsafe partial class MemkindConformance
{
    public const long KB = 1024;
    public const long MB = 1024 * 1024;

    /// <summary>memkind's PMEM_PART_SIZE: MEMKIND_PMEM_MIN_SIZE + 4 KiB, an 18 MiB kind after rounding.</summary>
    public const long PmemPartSize = PmemKind.MinSize + 4 * KB;

    /// <summary>memkind's timed loops run 5 s; the ports run this long.</summary>
    public static readonly TimeSpan TimedLoop = TimeSpan.FromSeconds(0.5);

    /// <summary>A path under the test directory that does not exist (memkind uses "/temp/non_exisitng_directory").</summary>
    public static string MissingDirectory => Path.Combine(TestDirectories.Tmpfs, "non_existing_directory", Guid.NewGuid().ToString("N"));

    /// <summary>Allocates <paramref name="size"/>-byte blocks until the kind refuses; returns them.</summary>
    public static List<nuint> FillUntilFull(MemoryKind kind, nuint size, int limit = int.MaxValue)
    {
        var blocks = new List<nuint>();
        while (blocks.Count < limit)
        {
            void* p = kind.TryAlloc(size);
            if (p == null) break;
            blocks.Add((nuint)p);
        }
        return blocks;
    }

    public static void FreeAll(MemoryKind kind, List<nuint> blocks)
    {
        foreach (nuint p in blocks) kind.Free((void*)p);
        blocks.Clear();
    }

    /// <summary>Runs <paramref name="body"/> repeatedly for <see cref="TimedLoop"/>.</summary>
    public static void RunTimed(Action body)
    {
        var clock = Stopwatch.StartNew();
        do body(); while (clock.Elapsed < TimedLoop);
    }

    public static void WriteString(void* p, string text)
    {
        var bytes = new Span<byte>(p, text.Length + 1);
        for (int i = 0; i < text.Length; i++) bytes[i] = (byte)text[i];
        bytes[text.Length] = 0;
    }

    public static string ReadString(void* p)
    {
        var chars = new List<char>();
        for (byte* b = (byte*)p; *b != 0; b++) chars.Add((char)*b);
        return new string(chars.ToArray());
    }

    public static bool AllBytesAre(void* p, nuint size, byte value)
    {
        for (nuint offset = 0; offset < size; offset += int.MaxValue / 2)
        {
            int length = (int)Math.Min(size - offset, int.MaxValue / 2);
            if (new ReadOnlySpan<byte>((byte*)p + offset, length).IndexOfAnyExcept(value) >= 0) return false;
        }
        return true;
    }

    public static void FillBytes(void* p, nuint size, byte value) => NativeMemory.Fill(p, size, value);

    /// <summary>Free bytes of the file system holding <paramref name="directory"/> (statvfs f_bfree × f_frsize, as memkind's statfs f_bfree).</summary>
    public static long FreeBytes(string directory)
    {
        StatVfs buffer;
        if (statvfs(directory, &buffer) != 0) throw new IOException($"statvfs({directory}) failed: errno {Marshal.GetLastPInvokeError()}.");
        return (long)(buffer.FreeBlocks * buffer.FragmentSize);
    }

    public static bool IsRoot => geteuid() == 0;

    /// <summary>
    /// Runs <paramref name="action"/> on a new thread whose file-system uid is <paramref name="fsuid"/> (setfsuid is
    /// per thread on Linux, and dropping fsuid from 0 drops CAP_DAC_OVERRIDE for that thread), so that root sees
    /// permission bits the way an unprivileged user does. The thread restores its fsuid before it ends.
    /// </summary>
    public static void RunWithFsUid(uint fsuid, Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            uint previous = (uint)setfsuid(fsuid);
            try
            {
                uint now = (uint)setfsuid(fsuid);
                if (now != fsuid) throw new InvalidOperationException($"setfsuid({fsuid}) did not take effect (fsuid is {now}).");
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                setfsuid(previous);
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
    }

    /// <summary>Starts <paramref name="count"/> threads that all run <paramref name="body"/>(index) at the same moment; rethrows the first failure.</summary>
    public static void RunThreadsTogether(int count, Action<int> body)
    {
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var start = new ManualResetEventSlim(false);
        var threads = new Thread[count];
        for (int t = 0; t < count; t++)
        {
            int index = t;
            threads[t] = new Thread(() =>
            {
                start.Wait();
                try { body(index); }
                catch (Exception e) { failures.Enqueue(e); }
            });
            threads[t].Start();
        }
        start.Set();
        foreach (Thread thread in threads) thread.Join();
        if (failures.TryDequeue(out Exception? first)) throw new AggregateException($"{failures.Count + 1} of {count} threads failed.", [first, .. failures]);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfs
    {
        public ulong BlockSize;
        public ulong FragmentSize;
        public ulong Blocks;
        public ulong FreeBlocks;
        public ulong AvailableBlocks;
        public ulong Files;
        public ulong FreeFiles;
        public ulong AvailableFiles;
        public ulong FileSystemId;
        public ulong Flags;
        public ulong MaxNameLength;
        public fixed int Spare[6];
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statvfs(string path, StatVfs* buffer);

    [LibraryImport("libc")]
    private static partial int setfsuid(uint fsuid);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
