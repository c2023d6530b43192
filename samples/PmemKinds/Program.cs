// Port of memkind's examples/pmem_kinds.c: create a 32 MiB kind and an unlimited kind, destroy both; then create and
// destroy 10 kinds of 32 MiB. Usage: PmemKinds [directory] (default: the temp directory).
using MemoryKinds;

string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
Console.WriteLine($"{dir} is {(PmemKind.IsDax(dir) ? "" : "not ")}on a DAX file system.");

const long PmemMaxSize = 32L << 20;
PmemKind bounded = PmemKind.Create(dir, PmemMaxSize);
PmemKind unlimited = PmemKind.Create(dir, 0);
Console.WriteLine($"Created {bounded.Name} (limit {bounded.MaxSize >> 20} MiB) and {unlimited.Name} (unlimited, capacity {unlimited.Capacity >> 20} MiB).");
bounded.Dispose();
unlimited.Dispose();
if (!bounded.IsDisposed || !unlimited.IsDisposed) return Fail("a kind is not disposed");

var kinds = new PmemKind[10];
for (int i = 0; i < kinds.Length; i++) kinds[i] = PmemKind.Create(dir, PmemMaxSize);
if (kinds.Select(k => k.Name).Distinct().Count() != kinds.Length) return Fail("two live kinds share a name");
foreach (PmemKind kind in kinds) kind.Dispose();
Console.WriteLine($"Created and destroyed {kinds.Length} kinds of {PmemMaxSize >> 20} MiB.");
Console.WriteLine("Memory was successfully allocated and released.");
return 0;

static int Fail(string message)
{
    Console.Error.WriteLine($"Unexpected result: {message}");
    return 1;
}
