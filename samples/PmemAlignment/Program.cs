// Port of memkind's examples/pmem_alignment.c: in a 32 MiB kind, two consecutive 32-byte blocks are 32 bytes apart
// (same size class, same page), and two 32-byte blocks aligned to 64 are 64 bytes apart (they go to the 64-byte class).
// Usage: PmemAlignment [directory] (default: the temp directory).
using MemoryKinds;

string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
Console.WriteLine($"{dir} is {(PmemKind.IsDax(dir) ? "" : "not ")}on a DAX file system.");

using PmemKind kind = PmemKind.Create(dir, 32L << 20);
unsafe
{
    byte* a = (byte*)kind.Alloc(32);
    byte* b = (byte*)kind.Alloc(32);
    long distance = Math.Abs(b - a);
    Console.WriteLine($"Two 32-byte blocks: 0x{(nuint)a:X} and 0x{(nuint)b:X}, {distance} bytes apart.");
    if (distance != 32) return Fail($"expected 32 bytes between them, got {distance}");
    kind.Free(a);
    kind.Free(b);

    a = (byte*)kind.AlignedAlloc(32, 64);
    b = (byte*)kind.AlignedAlloc(32, 64);
    distance = Math.Abs(b - a);
    Console.WriteLine($"Two 32-byte blocks aligned to 64: 0x{(nuint)a:X} and 0x{(nuint)b:X}, {distance} bytes apart.");
    if (((nuint)a & 63) != 0 || ((nuint)b & 63) != 0) return Fail("a block is not 64-byte aligned");
    if (distance != 64) return Fail($"expected 64 bytes between them, got {distance}");
    kind.Free(a);
    kind.Free(b);

    // Larger alignments work too (up to 64 KiB in a page, above that as a span).
    foreach (nuint alignment in new nuint[] { 4096, 1u << 16, 1u << 21 })
    {
        void* p = kind.AlignedAlloc(100, alignment);
        if (((nuint)p & (alignment - 1)) != 0) return Fail($"a block is not {alignment}-byte aligned");
        Console.WriteLine($"100 bytes aligned to {alignment}: 0x{(nuint)p:X}");
        kind.Free(p);
    }
}
Console.WriteLine("Memory was successfully allocated and released.");
return 0;

static int Fail(string message)
{
    Console.Error.WriteLine($"Unexpected result: {message}");
    return 1;
}
