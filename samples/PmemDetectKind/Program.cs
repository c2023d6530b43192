// Port of memkind's examples/pmem_detect_kind.c: 1000 blocks of 512 bytes, alternating between a pmem kind and the
// default kind; every block whose kind (MemoryKind.Detect) is not the default is reallocated to 2048 bytes through the
// detected kind. Then pmem blocks must be 2048 bytes and default ones still 512.
// Usage: PmemDetectKind [directory] (default: the temp directory).
using MemoryKinds;

string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
Console.WriteLine($"{dir} is {(PmemKind.IsDax(dir) ? "" : "not ")}on a DAX file system.");

const int Count = 1000;
using PmemKind pmem = PmemKind.Create(dir, 32L << 20);
var blocks = new nint[Count];
int errors = 0;
unsafe
{
    for (int i = 0; i < Count; i++)
    {
        MemoryKind kind = i % 2 == 0 ? pmem : MemoryKind.Default;
        void* p = kind.Alloc(512);
        if (kind.GetUsableSize(p) != 512) errors++;
        blocks[i] = (nint)p;
    }
    for (int i = 0; i < Count; i++)
    {
        MemoryKind? kind = MemoryKind.Detect((void*)blocks[i]);
        if (kind is null) errors++;
        else if (kind != MemoryKind.Default) blocks[i] = (nint)kind.Realloc((void*)blocks[i], 2048);
    }
    int pmemCount = 0, defaultCount = 0;
    for (int i = 0; i < Count; i++)
    {
        void* p = (void*)blocks[i];
        MemoryKind? kind = MemoryKind.Detect(p);
        nuint expected = kind == pmem ? 2048u : 512u;
        if (kind == pmem) pmemCount++;
        else if (kind == MemoryKind.Default) defaultCount++;
        if (kind is null || kind.GetUsableSize(p) != expected) errors++;
        MemoryKind.FreeAny(p);
    }
    Console.WriteLine($"{pmemCount} pmem blocks reallocated to 2048 bytes, {defaultCount} default blocks left at 512 bytes.");
    if (pmemCount != Count / 2 || defaultCount != Count / 2) errors++;
}
if (errors != 0)
{
    Console.Error.WriteLine($"Unexpected result: {errors} error(s).");
    return 1;
}
Console.WriteLine("Memory was successfully allocated and released.");
return 0;
