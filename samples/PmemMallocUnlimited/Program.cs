// Port of memkind's examples/pmem_malloc_unlimited.c: an unlimited kind (no size limit but the file system) gives two
// 32 MiB blocks. Usage: PmemMallocUnlimited [directory] (default: the temp directory).
using MemoryKinds;

string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
Console.WriteLine($"{dir} is {(PmemKind.IsDax(dir) ? "" : "not ")}on a DAX file system.");

using PmemKind kind = PmemKind.Create(dir, 0);
unsafe
{
    byte* first = (byte*)kind.TryAlloc(32u << 20);
    byte* second = (byte*)kind.TryAlloc(32u << 20);
    if (first == null || second == null)
    {
        Console.Error.WriteLine("Unexpected result: a 32 MiB allocation from an unlimited kind failed.");
        return 1;
    }
    new Span<byte>(first, 32 << 20).Fill(1);
    new Span<byte>(second, 32 << 20).Fill(2);
    Console.WriteLine($"Two 32 MiB blocks; kind capacity {kind.Capacity >> 30} GiB, {kind.GetStats()}.");
    kind.Free(first);
    kind.Free(second);
}
Console.WriteLine("Memory was successfully allocated and released.");
return 0;
