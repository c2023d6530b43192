// Compares KindDistributedCache with MemoryDistributedCache: get/set throughput at 1 and 2 threads with 1 KiB and
// 64 KiB values (contenders interleaved, medians of the rounds), and the GC heap and gen2 pauses with 2 GiB cached.
// Usage: MemoryKinds.Caching.Bench [--dir DIR] [--rounds N] [--gib N] [--only throughput|footprint] [--quick]
//   --dir DIR   the kind is a pmem kind in DIR (e.g. /dev/shm); a DRAM kind without it
//   --gib N     GiB of values for the footprint part (default 2)
//   --quick     a smoke run: small sizes, short rounds
string? directory = Option("--dir");
bool quick = args.Contains("--quick");
int rounds = int.Parse(Option("--rounds") ?? (quick ? "2" : "5"));
double gib = double.Parse(Option("--gib") ?? (quick ? "0.0625" : "2"), System.Globalization.CultureInfo.InvariantCulture);
TimeSpan slice = TimeSpan.FromMilliseconds(quick ? 50 : 400);

Console.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, kind: {(directory is null ? "DRAM" : $"pmem in {directory}")}, {rounds} rounds of {slice.TotalMilliseconds} ms");
string? only = Option("--only");
// The footprint first: what the throughput part leaves on the heap would blur its baseline.
if (only is null or "footprint") Footprint.Run(directory, (long)(gib * (1L << 30)));
if (only is null or "throughput") Throughput.Run(directory, rounds, slice);
return 0;

string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
