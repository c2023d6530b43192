// Port of memkind's examples/pmem_free_with_unknown_kind.c: 50 blocks from the default kind and 50 from a pmem kind of
// MinSize + 4 KiB, all freed without saying their kind (memkind_free(NULL, p) -> MemoryKind.FreeAny).
// Usage: PmemFreeWithUnknownKind [directory] (default: the temp directory).
using MemoryKinds;

string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
Console.WriteLine($"{dir} is {(PmemKind.IsDax(dir) ? "" : "not ")}on a DAX file system.");

const int Count = 50;
using PmemKind pmem = PmemKind.Create(dir, PmemKind.MinSize + 4096);
Console.WriteLine($"Kind {pmem.Name}: asked for {PmemKind.MinSize + 4096} bytes, limit {pmem.MaxSize} bytes after rounding to {PmemKind.ChunkSize >> 20} MiB.");
var blocks = new List<nint>();
unsafe
{
    for (int i = 0; i < Count; i++)
    {
        blocks.Add((nint)MemoryKind.Default.Alloc(512));
        blocks.Add((nint)pmem.Alloc(512));
    }
    foreach (nint p in blocks) MemoryKind.FreeAny((void*)p);
}
KindStats stats = pmem.GetStats();
if (stats.Allocated != 0)
{
    Console.Error.WriteLine($"Unexpected result: the pmem kind still has {stats.Allocated} bytes allocated.");
    return 1;
}
Console.WriteLine($"Freed {blocks.Count} blocks of two kinds with MemoryKind.FreeAny; pmem kind now {stats}.");
Console.WriteLine("Memory was successfully allocated and released.");
return 0;
