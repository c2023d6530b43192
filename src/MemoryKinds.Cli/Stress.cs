using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Spectre.Console;

namespace MemoryKinds.Cli;

internal sealed record StressOptions(string Directory, int Threads, TimeSpan Duration, long MaxSize, long MaxBlock,
    MemoryUsagePolicy Policy, bool Hardened, int? Seed, bool Json);

/// <summary>
/// The verifying stress workload: every thread allocates blocks of random sizes (some aligned), fills each with a
/// pattern derived from a random tag, and checks the pattern when the block is freed or reallocated. Some blocks are
/// handed to another thread, which frees them (cross-thread frees); an allocation the kind cannot satisfy frees half
/// of the thread's blocks. At the end every block is freed and <see cref="MemoryKind.Validate"/> walks the heap.
/// </summary>
internal static unsafe class Stress
{
    private const int MaxLiveBlocks = 4096;
    private const int MaxErrors = 20;

    private struct Block
    {
        public nint Pointer;
        public long Size;
        public ulong Tag;
    }

    private sealed class Worker(int id, int seed)
    {
        public readonly int Id = id;
        public readonly Random Random = new(seed);
        public readonly List<Block> Live = new(MaxLiveBlocks);
        public readonly ConcurrentQueue<Block> Inbox = new();
        public long Ops, Allocs, AlignedAllocs, Frees, RemoteFrees, Reallocs, OutOfMemory, BytesAllocated, BytesVerified, LiveBytes;
    }

    private sealed class StressRun(PmemKind kind, StressOptions options, Worker[] workers)
    {
        public readonly PmemKind Kind = kind;
        public readonly StressOptions Options = options;
        public readonly Worker[] Workers = workers;
        public readonly ConcurrentQueue<string> Errors = new();
        public long ErrorCount;
        public volatile bool Stop;

        public void Error(string message)
        {
            if (Interlocked.Increment(ref ErrorCount) <= MaxErrors) Errors.Enqueue(message);
        }
    }

    public static int Run(IAnsiConsole console, TextWriter error, StressOptions options)
    {
        string directory = DirectoryProbe.Resolve(options.Directory);
        PmemKind kind;
        try
        {
            kind = PmemKind.Create(new PmemConfig(directory) { Size = options.MaxSize, UsagePolicy = options.Policy, Hardened = options.Hardened });
        }
        catch (Exception e) when (e is UnauthorizedAccessException or DirectoryNotFoundException or IOException)
        {
            throw new BadDirectoryException($"A pmem kind cannot be created in '{directory}': {e.Message}", e);
        }

        using (kind)
        {
            int seed = options.Seed ?? Random.Shared.Next();
            var workers = new Worker[options.Threads];
            for (int i = 0; i < workers.Length; i++) workers[i] = new Worker(i, seed + i * 7919);
            var run = new StressRun(kind, options, workers);
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Stressing {kind} in {directory}: {options.Threads} threads, {options.Duration.TotalSeconds:0.##} s, limit {(kind.MaxSize == 0 ? "unlimited" : Sizes.Format(kind.MaxSize))}, blocks up to {Sizes.Format(options.MaxBlock)}, seed {seed}"));

            var threads = new Thread[workers.Length];
            for (int i = 0; i < threads.Length; i++)
            {
                Worker w = workers[i];
                threads[i] = new Thread(() => Work(run, w)) { IsBackground = true, Name = $"stress-{i}" };
            }
            var clock = Stopwatch.StartNew();
            foreach (Thread t in threads) t.Start();
            Monitor(console, run, clock, threads);
            run.Stop = true;
            foreach (Thread t in threads) t.Join();
            double elapsed = clock.Elapsed.TotalSeconds;

            // Blocks handed over after their receiver stopped: freed here, on yet another thread.
            foreach (Worker w in workers)
                while (w.Inbox.TryDequeue(out Block b)) FreeChecked(run, w, b, remote: true);

            string validation = "OK";
            try
            {
                kind.Validate();
            }
            catch (Exception e)
            {
                validation = "FAILED: " + e.Message;
                run.Error("Validate: " + e.Message);
            }
            Report(console, run, elapsed, validation);
            if (run.ErrorCount > 0)
            {
                error.WriteLine($"error: {run.ErrorCount} verification error(s).");
                return ExitCodes.Failure;
            }
            console.MarkupLine("[green]PASSED[/]: every block kept its pattern and the heap validated.");
            return ExitCodes.Ok;
        }
    }

    private static void Monitor(IAnsiConsole console, StressRun run, Stopwatch clock, Thread[] threads)
    {
        double total = run.Options.Duration.TotalSeconds;
        if (console.Profile.Capabilities.Interactive)
        {
            console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    ProgressTask task = ctx.AddTask("starting", maxValue: total);
                    while (clock.Elapsed.TotalSeconds < total && threads.All(t => t.IsAlive))
                    {
                        Thread.Sleep(200);
                        task.Value = Math.Min(total, clock.Elapsed.TotalSeconds);
                        task.Description = Markup.Escape(Status(run, clock.Elapsed.TotalSeconds, brief: true));
                    }
                    task.Value = total;
                });
            return;
        }
        // Not a terminal: a status line about once a second.
        double next = 1;
        while (clock.Elapsed.TotalSeconds < total && threads.All(t => t.IsAlive))
        {
            Thread.Sleep(Math.Max(1, (int)(Math.Min(next, total) * 1000 - clock.ElapsedMilliseconds)));
            double now = clock.Elapsed.TotalSeconds;
            if (now >= next || now >= total)
            {
                console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{Math.Min(now, total),5:0.0} s] {Status(run, now)}"));
                next = Math.Floor(now) + 1;
            }
        }
    }

    private static string Status(StressRun run, double seconds, bool brief = false)
    {
        long ops = 0, live = 0, oom = 0;
        foreach (Worker w in run.Workers)
        {
            ops += Volatile.Read(ref w.Ops);
            live += Volatile.Read(ref w.LiveBytes);
            oom += Volatile.Read(ref w.OutOfMemory);
        }
        double rate = seconds > 0 ? ops / seconds : 0;
        if (brief)
            return string.Create(CultureInfo.InvariantCulture,
                $"{FormatRate(rate)} ops/s, live {Sizes.Format(Math.Max(0, live))}, oom {oom:N0}, errors {Volatile.Read(ref run.ErrorCount)}");
        return string.Create(CultureInfo.InvariantCulture,
            $"{ops:N0} ops, {FormatRate(rate)} ops/s, live {Sizes.Format(Math.Max(0, live))}, out of memory {oom:N0}, errors {Volatile.Read(ref run.ErrorCount)}");
    }

    private static string FormatRate(double rate) => rate >= 1e6
        ? (rate / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + "M"
        : rate >= 1e3 ? (rate / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + "k" : rate.ToString("0", CultureInfo.InvariantCulture);

    private static void Work(StressRun run, Worker w)
    {
        try
        {
            while (!run.Stop)
            {
                for (int i = 0; i < 64; i++) Step(run, w);
                while (w.Inbox.TryDequeue(out Block b)) FreeChecked(run, w, b, remote: true);
            }
        }
        catch (Exception e)
        {
            run.Error($"thread {w.Id}: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            foreach (Block b in w.Live) FreeChecked(run, w, b, remote: false);
            w.Live.Clear();
            while (w.Inbox.TryDequeue(out Block b)) FreeChecked(run, w, b, remote: true);
        }
    }

    private static void Step(StressRun run, Worker w)
    {
        Random r = w.Random;
        int op = r.Next(100);
        Volatile.Write(ref w.Ops, w.Ops + 1);
        if (w.Live.Count == 0 || (op < 50 && w.Live.Count < MaxLiveBlocks))
        {
            Allocate(run, w);
            return;
        }
        int index = r.Next(w.Live.Count);
        Block block = w.Live[index];
        if (op < 85)
        {
            RemoveAt(w, index);
            FreeChecked(run, w, block, remote: false);
        }
        else if (op < 93 && run.Workers.Length > 1)
        {
            // Hand the block to another thread, which frees it.
            RemoveAt(w, index);
            int to = (w.Id + 1 + r.Next(run.Workers.Length - 1)) % run.Workers.Length;
            run.Workers[to].Inbox.Enqueue(block);
        }
        else
        {
            Reallocate(run, w, index, block);
        }
    }

    private static void RemoveAt(Worker w, int index)
    {
        Block block = w.Live[index];
        w.Live[index] = w.Live[^1];
        w.Live.RemoveAt(w.Live.Count - 1);
        w.LiveBytes -= block.Size;
    }

    private static long NextSize(StressRun run, Random r)
    {
        int bucket = r.Next(1000);
        long size = bucket switch
        {
            < 700 => r.Next(0, 1025),
            < 930 => r.Next(1025, 64 << 10),
            < 990 => r.Next(64 << 10, 512 << 10),
            _ => r.NextInt64(512 << 10, Math.Max((512 << 10) + 1, run.Options.MaxBlock + 1)),
        };
        return Math.Min(size, run.Options.MaxBlock);
    }

    private static void Allocate(StressRun run, Worker w)
    {
        Random r = w.Random;
        long size = NextSize(run, r);
        nuint alignment = r.Next(20) == 0 ? (nuint)1 << r.Next(5, 13) : 0;
        void* p = alignment == 0 ? run.Kind.TryAlloc((nuint)size) : run.Kind.TryAlignedAlloc((nuint)size, alignment);
        if (p == null)
        {
            w.OutOfMemory++;
            ShedHalf(run, w);
            return;
        }
        if (alignment != 0)
        {
            w.AlignedAllocs++;
            if (((nuint)p & (alignment - 1)) != 0) run.Error($"AlignedAlloc({size}, {alignment}) returned 0x{(nuint)p:X}, not aligned.");
        }
        nuint usable = run.Kind.GetUsableSize(p);
        if (usable < (nuint)size) run.Error($"usable size {usable} of 0x{(nuint)p:X} is below the {size} bytes asked for.");
        if ((w.Allocs & 255) == 0 && !ReferenceEquals(MemoryKind.Detect(p), run.Kind)) run.Error($"Detect(0x{(nuint)p:X}) is not the stress kind.");
        var block = new Block { Pointer = (nint)p, Size = size, Tag = (ulong)r.NextInt64() | 1 };
        Fill(block);
        w.Live.Add(block);
        w.Allocs++;
        w.LiveBytes += size;
        w.BytesAllocated += size;
    }

    private static void ShedHalf(StressRun run, Worker w)
    {
        for (int n = w.Live.Count / 2; n > 0 && w.Live.Count > 0; n--)
        {
            int index = w.Random.Next(w.Live.Count);
            Block b = w.Live[index];
            RemoveAt(w, index);
            FreeChecked(run, w, b, remote: false);
        }
    }

    private static void Reallocate(StressRun run, Worker w, int index, Block block)
    {
        long size = NextSize(run, w.Random);
        void* p = run.Kind.TryRealloc((void*)block.Pointer, (nuint)size);
        if (p == null)
        {
            // The old block is untouched.
            w.OutOfMemory++;
            Check(run, w, block.Pointer, block, block.Size);
            return;
        }
        Check(run, w, (nint)p, block, Math.Min(block.Size, size));
        var moved = block with { Pointer = (nint)p, Size = size };
        moved.Tag = (ulong)w.Random.NextInt64() | 1;
        Fill(moved);
        w.Live[index] = moved;
        w.LiveBytes += size - block.Size;
        w.BytesAllocated += size;
        w.Reallocs++;
    }

    private static byte PatternByte(ulong tag) => (byte)((tag >> 56) ^ (tag >> 8) ^ tag);

    private static void Fill(Block b)
    {
        var span = new Span<byte>((void*)b.Pointer, checked((int)b.Size));
        span.Fill(PatternByte(b.Tag));
        if (b.Size >= 8) Unsafe.WriteUnaligned((void*)b.Pointer, BitConverter.IsLittleEndian ? b.Tag : BinaryPrimitives.ReverseEndianness(b.Tag));
    }

    /// <summary>Checks the first <paramref name="length"/> bytes at <paramref name="pointer"/> against the pattern of <paramref name="b"/>
    /// (its tag in the first 8 bytes when the block had at least 8, its pattern byte everywhere else).</summary>
    private static void Check(StressRun run, Worker w, nint pointer, Block b, long length)
    {
        var span = new ReadOnlySpan<byte>((void*)pointer, checked((int)length));
        byte pattern = PatternByte(b.Tag);
        int head = b.Size >= 8 ? (int)Math.Min(8, length) : 0;
        for (int i = 0; i < head; i++)
        {
            byte expected = (byte)(b.Tag >> (8 * i));
            if (span[i] != expected)
            {
                run.Error($"block 0x{pointer:X} ({b.Size} bytes): tag byte {i} is 0x{span[i]:X2}, expected 0x{expected:X2}.");
                break;
            }
        }
        int bad = span[head..].IndexOfAnyExcept(pattern);
        if (bad >= 0) run.Error($"block 0x{pointer:X} ({b.Size} bytes): byte {bad + head} is 0x{span[head + bad]:X2}, expected 0x{pattern:X2}.");
        w.BytesVerified += length;
    }

    private static void FreeChecked(StressRun run, Worker w, Block b, bool remote)
    {
        Check(run, w, b.Pointer, b, b.Size);
        try
        {
            run.Kind.Free((void*)b.Pointer);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            run.Error($"Free(0x{b.Pointer:X}): {e.Message}");
        }
        if (remote) w.RemoteFrees++;
        else w.Frees++;
    }

    private static void Report(IAnsiConsole console, StressRun run, double seconds, string validation)
    {
        long Sum(Func<Worker, long> f) => run.Workers.Sum(f);
        long ops = Sum(w => w.Ops);
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Stress report[/]");
        table.AddColumn("Measure").AddColumn(new TableColumn("Value").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("Threads", run.Workers.Length.ToString(CultureInfo.InvariantCulture));
        Row("Seconds", seconds.ToString("0.00", CultureInfo.InvariantCulture));
        Row("Operations", ops.ToString("N0", CultureInfo.InvariantCulture));
        Row("Operations/s", (ops / Math.Max(seconds, 1e-9)).ToString("N0", CultureInfo.InvariantCulture));
        Row("Allocations", Sum(w => w.Allocs).ToString("N0", CultureInfo.InvariantCulture));
        Row("  aligned", Sum(w => w.AlignedAllocs).ToString("N0", CultureInfo.InvariantCulture));
        Row("Reallocations", Sum(w => w.Reallocs).ToString("N0", CultureInfo.InvariantCulture));
        Row("Frees (same thread)", Sum(w => w.Frees).ToString("N0", CultureInfo.InvariantCulture));
        Row("Frees (cross-thread)", Sum(w => w.RemoteFrees).ToString("N0", CultureInfo.InvariantCulture));
        Row("Out of memory (Try* null)", Sum(w => w.OutOfMemory).ToString("N0", CultureInfo.InvariantCulture));
        Row("Bytes allocated", Sizes.Format(Sum(w => w.BytesAllocated)));
        Row("Bytes verified", Sizes.Format(Sum(w => w.BytesVerified)));
        Row("Allocation failures (kind)", run.Kind.AllocationFailures.ToString("N0", CultureInfo.InvariantCulture));
        KindStats stats = run.Kind.GetStats();
        Row("Allocated after freeing all", Sizes.Format(stats.Allocated));
        Row("Active / resident", $"{Sizes.Format(stats.Active)} / {Sizes.Format(stats.Resident)}");
        Row("Validate()", validation);
        Row("Errors", Volatile.Read(ref run.ErrorCount).ToString(CultureInfo.InvariantCulture));
        console.Write(table);
        foreach (string e in run.Errors) console.WriteLine("error: " + e);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ops={ops} ops_per_sec={ops / Math.Max(seconds, 1e-9):0} errors={run.ErrorCount} validate={(validation == "OK" ? "ok" : "failed")}"));
        console.Write(new Text(run.Kind.GetStatsReport(run.Options.Json ? StatsFormat.Json : StatsFormat.Text)));
        console.WriteLine();
    }
}
