// Port of memkind's examples/pmem_malloc.c: in a 32 MiB kind, 512 B, 8 MiB and 16 MiB allocations succeed and a second
// 16 MiB one must fail, because less than 8 MiB is left. Usage: PmemMalloc [directory] (default: the temp directory).
using System.Text;
using MemoryKinds;

string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
Console.WriteLine($"{dir} is {(PmemKind.IsDax(dir) ? "" : "not ")}on a DAX file system.");

using PmemKind kind = PmemKind.Create(dir, 32L << 20);
unsafe
{
    byte* small = (byte*)kind.TryAlloc(512);
    if (small == null) return Fail("512 B allocation failed");
    byte* mid = (byte*)kind.TryAlloc(8u << 20);
    if (mid == null) return Fail("8 MiB allocation failed");
    byte* large = (byte*)kind.TryAlloc(16u << 20);
    if (large == null) return Fail("16 MiB allocation failed");
    byte* tooLarge = (byte*)kind.TryAlloc(16u << 20);
    if (tooLarge != null) return Fail("a second 16 MiB allocation succeeded in a 32 MiB kind");
    Console.WriteLine($"A second 16 MiB allocation failed as expected: {kind.Capacity - kind.GetStats().Active >> 20} MiB or less is left (allocation failures: {kind.AllocationFailures}).");

    Write(small, 512, "Hello world from persistent memory");
    Write(mid, 8 << 20, "Hello world from persistent memory - 8 MiB block");
    Write(large, 16 << 20, "Hello world from persistent memory - 16 MiB block");
    Console.WriteLine(Read(small));
    Console.WriteLine(Read(mid));
    Console.WriteLine(Read(large));

    kind.Free(small);
    kind.Free(mid);
    kind.Free(large);
}
Console.WriteLine("Memory was successfully allocated and released.");
return 0;

static unsafe void Write(byte* p, int size, string text)
{
    var span = new Span<byte>(p, size);
    int n = Encoding.UTF8.GetBytes(text, span);
    span[n] = 0;
}

static unsafe string Read(byte* p) => Encoding.UTF8.GetString(System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpanFromNullTerminated(p));

static int Fail(string message)
{
    Console.Error.WriteLine($"Unexpected result: {message}");
    return 1;
}
