using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Caching.Distributed;

/// <summary>Operations a second on a warm working set, each contender in turn within every round, so drift in the machine's load hits both alike.</summary>
internal static class Throughput
{
    private const int Keys = 1024;
    private static readonly DistributedCacheEntryOptions Options = new() { SlidingExpiration = TimeSpan.FromHours(1) };

    private enum Operation { Get, TryGet, Set }

    public static void Run(string? directory, int rounds, TimeSpan slice)
    {
        Console.WriteLine();
        Console.WriteLine("| value | threads | operation | KindDistributedCache (ops/s, median) | MemoryDistributedCache (ops/s, median) | kind / memory |");
        Console.WriteLine("|---|---|---|---|---|---|");
        string[] keys = [.. Enumerable.Range(0, Keys).Select(i => $"bench:key:{i}")];
        foreach (int valueLength in (int[])[1024, 64 * 1024])
        {
            // An array a key: MemoryDistributedCache keeps the caller's array, and one shared array would sit in the CPU cache.
            byte[][] values = [.. keys.Select(_ => RandomBytes(valueLength))];
            using Contender kind = Contender.Kind(directory), memory = Contender.Memory();
            Contender[] contenders = [kind, memory];
            foreach (Contender contender in contenders)
                for (int k = 0; k < keys.Length; k++) contender.Cache.Set(keys[k], values[k], Options);
            foreach (int threads in (int[])[1, 2])
            {
                foreach (Operation operation in Enum.GetValues<Operation>())
                {
                    var samples = contenders.Select(_ => new List<double>()).ToArray();
                    foreach (Contender contender in contenders) Measure(contender, operation, threads, keys, values, slice); // warm-up: JIT tiers, pages
                    for (int round = 0; round < rounds; round++)
                    {
                        // Alternate which contender goes first, so neither always follows the other.
                        for (int c = 0; c < contenders.Length; c++)
                        {
                            int which = (c + round) % contenders.Length;
                            samples[which].Add(Measure(contenders[which], operation, threads, keys, values, slice));
                        }
                    }
                    double kindOps = Median(samples[0]), memoryOps = Median(samples[1]);
                    Console.WriteLine($"| {valueLength / 1024} KiB | {threads} | {operation} | {kindOps:N0} | {memoryOps:N0} | {kindOps / memoryOps:F2} |");
                }
            }
        }
    }

    private static double Measure(Contender contender, Operation operation, int threads, string[] keys, byte[][] values, TimeSpan slice)
    {
        long total = 0;
        using var start = new Barrier(threads + 1);
        Thread[] workers = [.. Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            IDistributedCache cache = contender.Cache;
            var writer = new ArrayBufferWriter<byte>(values[0].Length);
            var random = new Random(t);
            long ops = 0;
            start.SignalAndWait();
            long end = Stopwatch.GetTimestamp() + (long)(slice.TotalSeconds * Stopwatch.Frequency);
            do
            {
                for (int i = 0; i < 64; i++, ops++)
                {
                    int k = random.Next(keys.Length);
                    string key = keys[k];
                    switch (operation)
                    {
                        case Operation.Get:
                            if (cache.Get(key) is null) throw new InvalidOperationException($"{contender.Name} lost {key}");
                            break;
                        case Operation.TryGet:
                            writer.ResetWrittenCount();
                            if (!contender.TryGet(key, writer)) throw new InvalidOperationException($"{contender.Name} lost {key}");
                            break;
                        default:
                            cache.Set(key, values[k], Options);
                            break;
                    }
                }
            } while (Stopwatch.GetTimestamp() < end);
            Interlocked.Add(ref total, ops);
        }))];
        foreach (Thread worker in workers) worker.Start();
        start.SignalAndWait();
        long began = Stopwatch.GetTimestamp();
        foreach (Thread worker in workers) worker.Join();
        return total / Stopwatch.GetElapsedTime(began).TotalSeconds;
    }

    private static byte[] RandomBytes(int length)
    {
        byte[] bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    public static double Median(List<double> samples)
    {
        samples.Sort();
        return samples.Count % 2 == 1 ? samples[samples.Count / 2] : (samples[samples.Count / 2 - 1] + samples[samples.Count / 2]) / 2;
    }
}
