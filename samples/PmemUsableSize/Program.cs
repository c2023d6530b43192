// Port of memkind's examples/pmem_usable_size.c: the usable size of blocks of an unlimited kind. memkind's jemalloc
// classes give 32 -> 32, 31 -> 32, 33 -> 48, 5 MiB -> 5 MiB, 5 MiB + 1 -> 6 MiB; this library's classes are 16-byte
// steps up to 128 B and, above 512 KiB, the request rounded up to the OS page, so 5 MiB + 1 -> 5 MiB + 4 KiB.
// Usage: PmemUsableSize [directory] (default: the temp directory).
using MemoryKinds;

string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
Console.WriteLine($"{dir} is {(PmemKind.IsDax(dir) ? "" : "not ")}on a DAX file system.");

using PmemKind kind = PmemKind.Create(dir, 0);
(nuint Size, nuint Expected)[] cases =
[
    (32, 32),
    (31, 32),
    (33, 48),
    (5u << 20, 5u << 20),
    ((5u << 20) + 1, (5u << 20) + (nuint)Environment.SystemPageSize),
];
int failures = 0;
unsafe
{
    foreach ((nuint size, nuint expected) in cases)
    {
        void* p = kind.Alloc(size);
        nuint usable = kind.GetUsableSize(p);
        Console.WriteLine($"requested {size,9} bytes, usable size {usable,9} bytes{(usable == expected ? "" : $" (expected {expected})")}");
        if (usable != expected) failures++;
        kind.Free(p);
    }
    if (kind.GetUsableSize(null) != 0) failures++;
}
if (failures != 0)
{
    Console.Error.WriteLine($"Unexpected result: {failures} usable size(s) differ.");
    return 1;
}
Console.WriteLine("Memory was successfully allocated and released.");
return 0;
