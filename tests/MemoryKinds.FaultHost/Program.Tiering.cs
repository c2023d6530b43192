using System.Collections.Concurrent;
using MemoryKinds.Reliability;

namespace MemoryKinds.FaultHost;

internal static unsafe partial class Program
{
    /// <summary>
    /// Tiered memory over a DRAM and a pmem kind, used by threads started one after another (each one's first call into
    /// the engine is a tiered allocation or free, with no engine table yet) and by threads at once; every byte placed is
    /// counted back to zero. In a process of its own so that <c>MEMKINDS_THREAD_LOOKUP=tls</c> can switch the stack
    /// lookup off: then every lookup of the thread's table takes the thread-static path.
    /// </summary>
    private static void TieredThreads(string[] args)
    {
        using MemoryKind dram = MemoryKind.Create($"faulthost-tiered-{Environment.ProcessId}", new AnonymousMemorySource());
        using PmemKind pmem = PmemKind.Create(args[0]);
        foreach (TierPolicy policy in new[] { TierPolicy.StaticRatio, TierPolicy.DynamicThreshold })
        {
            using TieredMemory tiers = TieredMemory.Create(policy, (dram, 1), (pmem, 4));
            var blocks = new ConcurrentBag<nint>();
            for (int generation = 0; generation < 8; generation++)
            {
                // One fresh thread frees what the last one left and allocates anew.
                nint[] inherited = blocks.ToArray();
                blocks.Clear();
                ThreadRunner.Run(() =>
                {
                    foreach (nint p in inherited) tiers.Free((void*)p);
                    for (int i = 0; i < 500; i++) blocks.Add((nint)tiers.Alloc((nuint)(16 + (i * 97 + generation) % 4000)));
                });
            }
            Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
            {
                var random = new Random(t);
                for (int i = 0; i < 20_000; i++)
                {
                    // Blocks taken from the bag are often another thread's: frees on a thread that did not place them.
                    if (random.Next(2) == 0 && blocks.TryTake(out nint p)) tiers.Free((void*)p);
                    else blocks.Add((nint)tiers.Alloc((nuint)random.Next(1, 4096)));
                }
            });
            long live = blocks.Sum(p => (long)MemoryKind.Detect((void*)p)!.GetUsableSize((void*)p));
            long counted = tiers.AllocatedBytes(dram) + tiers.AllocatedBytes(pmem);
            Check(counted == live, $"{policy}: the tiers count {counted} bytes, the live blocks hold {live}");
            ThreadRunner.Run(() =>
            {
                foreach (nint p in blocks) tiers.Free((void*)p);
            });
            Check(tiers.AllocatedBytes(dram) == 0 && tiers.AllocatedBytes(pmem) == 0,
                $"{policy}: {tiers.AllocatedBytes(dram)} + {tiers.AllocatedBytes(pmem)} bytes still counted after every block was freed");
            Say($"{policy}: {live} live bytes counted exactly over fresh and concurrent threads (stack lookup {(Engine.ThreadHeaps.StackLookup ? "on" : "off")})");
        }
    }
}
