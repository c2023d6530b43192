// Port of memkind's examples/pmem_multithreads_onekind.c: 10 threads share one unlimited kind; each allocates 100 ints
// and writes its id into them; after the threads end, the main thread checks every value and frees the blocks
// (allocated on one thread, freed on another). Usage: PmemMultithreadsOneKind [directory] (default: the temp directory).
using MemoryKinds;

string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
Console.WriteLine($"{dir} is {(PmemKind.IsDax(dir) ? "" : "not ")}on a DAX file system.");

const int Threads = 10, Count = 100;
using PmemKind kind = PmemKind.Create(dir, 0);
var blocks = new nint[Threads];
using var start = new ManualResetEventSlim(false);
var threads = new Thread[Threads];
for (int i = 0; i < Threads; i++)
{
    int id = i;
    threads[i] = new Thread(() =>
    {
        start.Wait();
        unsafe
        {
            int* values = (int*)kind.Alloc(Count * sizeof(int));
            new Span<int>(values, Count).Fill(id);
            blocks[id] = (nint)values;
        }
    });
    threads[i].Start();
}
start.Set();
foreach (Thread t in threads) t.Join();

int wrong = 0;
unsafe
{
    for (int id = 0; id < Threads; id++)
    {
        var values = new Span<int>((int*)blocks[id], Count);
        foreach (int v in values) if (v != id) wrong++;
        kind.Free((void*)blocks[id]);
    }
}
if (wrong != 0)
{
    Console.Error.WriteLine($"Unexpected result: {wrong} value(s) were not the writing thread's id.");
    return 1;
}
Console.WriteLine($"{Threads} threads each wrote {Count} ints; all checked and freed on the main thread.");
Console.WriteLine("Memory was successfully allocated and released.");
return 0;
