// Port of memkind's examples/pmem_multithreads.c: 10 threads start together; each checks the directory for DAX,
// creates its own 32 MiB kind, allocates and frees 32 bytes, and destroys its kind.
// Usage: PmemMultithreads [directory] (default: the temp directory).
using MemoryKinds;

string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
const int Threads = 10;
using var start = new ManualResetEventSlim(false);
int failures = 0;
var threads = new Thread[Threads];
for (int i = 0; i < Threads; i++)
{
    int id = i;
    threads[i] = new Thread(() =>
    {
        start.Wait();
        try
        {
            bool dax = PmemKind.IsDax(dir);
            using PmemKind kind = PmemKind.Create(dir, 32L << 20);
            unsafe
            {
                byte* p = (byte*)kind.Alloc(32);
                new Span<byte>(p, 32).Fill((byte)id);
                if (MemoryKind.Detect(p) != kind) throw new InvalidOperationException("Detect returned another kind.");
                kind.Free(p);
            }
            Console.WriteLine($"Thread {id}: kind {kind.Name}, DAX {(dax ? "yes" : "no")}: allocated and freed 32 bytes.");
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref failures);
            Console.Error.WriteLine($"Thread {id}: {e.GetType().Name}: {e.Message}");
        }
    });
    threads[i].Start();
}
start.Set(); // like memkind's condition-variable broadcast
foreach (Thread t in threads) t.Join();
if (failures != 0)
{
    Console.Error.WriteLine($"Unexpected result: {failures} thread(s) failed.");
    return 1;
}
Console.WriteLine("Memory was successfully allocated and released.");
return 0;
