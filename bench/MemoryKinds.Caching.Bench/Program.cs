// Compares KindDistributedCache with MemoryDistributedCache: get/set throughput at 1 and 2 threads with 1 KiB and
// 64 KiB values (contenders interleaved, medians of the rounds), then the GC heap and gen2 pauses with 2 GiB cached.
// Usage: MemoryKinds.Caching.Bench [--dir DIR] [--rounds N] [--gib N] [--quick]
//   --dir DIR   the kind is a pmem kind in DIR (e.g. /dev/shm); a DRAM kind without it
//   --quick     a smoke run: small sizes, short rounds
string? directory = Option("--dir");
bool quick = args.Contains("--quick");
int rounds = int.Parse(Option("--rounds") ?? (quick ? "2" : "5"));
double gib = double.Parse(Option("--gib") ?? (quick ? "0.0625" : "2"), System.Globalization.CultureInfo.InvariantCulture);
TimeSpan slice = TimeSpan.FromMilliseconds(quick ? 50 : 400);

Console.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, kind: {(directory is null ? "DRAM" : $"pmem in {directory}")}, {rounds} rounds of {slice.TotalMilliseconds} ms");
Throughput.Run(directory, rounds, slice);
Footprint.Run(directory, (long)(gib * (1L << 30)));
return 0;

string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
