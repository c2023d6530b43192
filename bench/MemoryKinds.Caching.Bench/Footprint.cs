using System.Diagnostics;
using Microsoft.Extensions.Caching.Distributed;

/// <summary>
/// Fills each contender with the given bytes of 1 KiB values (the most entries per byte the throughput part uses), then
/// overwrites a quarter of them, and reads what the GC saw: heap size, gen2 collections, pause time, and one full blocking
/// collection with everything live. The contenders run one after the other (two caches of 2 GiB at once would double the
/// machine's share), the kind's first.
/// </summary>
internal static class Footprint
{
    private const int ValueLength = 1024;
    private static readonly DistributedCacheEntryOptions Options = new() { SlidingExpiration = TimeSpan.FromHours(1) };

    private static byte[] ValueFor(int i)
    {
        byte[] value = new byte[ValueLength];
        BitConverter.TryWriteBytes(value, i);
        return value;
    }

    public static void Run(string? directory, long bytes)
    {
        int entries = (int)(bytes / ValueLength);
        Console.WriteLine();
        Console.WriteLine($"{entries:N0} entries of {ValueLength} bytes ({bytes / (double)(1L << 30):F2} GiB of values):");
        Console.WriteLine("| contender | fill (s) | GC heap growth (MiB) | growth / cached bytes | GC heap size (MiB) | gen2 GCs | GC pause total (ms) | one full blocking GC (ms) | process working set (MiB) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (Func<Contender> make in (Func<Contender>[])[() => Contender.Kind(directory), Contender.Memory])
        {
            long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            int gen2Before = GC.CollectionCount(2);
            TimeSpan pauseBefore = GC.GetTotalPauseDuration();
            var fill = Stopwatch.StartNew();
            using Contender contender = make();
            // A new array a set, as a serializer gives: MemoryDistributedCache keeps it, the kind's cache copies it.
            for (int i = 0; i < entries; i++) contender.Cache.Set($"footprint:{i}", ValueFor(i), Options);
            for (int i = 0; i < entries; i += 4) contender.Cache.Set($"footprint:{i}", ValueFor(i), Options);
            fill.Stop();
            int gen2 = GC.CollectionCount(2) - gen2Before;
            TimeSpan pauses = GC.GetTotalPauseDuration() - pauseBefore;
            TimeSpan pauseBeforeFull = GC.GetTotalPauseDuration();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
            TimeSpan fullPause = GC.GetTotalPauseDuration() - pauseBeforeFull;
            long heapSize = GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes;
            long heap = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
            if (contender.Cache.Get($"footprint:{entries - 1}") is not byte[] last || BitConverter.ToInt32(last) != entries - 1)
                throw new InvalidOperationException($"{contender.Name} lost the last entry");
            Console.WriteLine($"| {contender.Name} | {fill.Elapsed.TotalSeconds:F1} | {heap / (double)(1 << 20):N0} | {100.0 * heap / bytes:F2}% | {heapSize / (double)(1 << 20):N0} | {gen2} | {pauses.TotalMilliseconds:N0} | {fullPause.TotalMilliseconds:F1} | {Environment.WorkingSet >> 20:N0} |");
        }
    }
}
