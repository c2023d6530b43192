// QuickStart: a file-backed kind in a directory (default: the temp directory), used like malloc/free.
using MemoryKinds;

string directory = args.Length > 0 ? args[0] : Path.GetTempPath();
using PmemKind kind = PmemKind.Create(directory, maxSize: 64L << 20);
Console.WriteLine($"Created {kind} in {kind.Directory}: limit {kind.MaxSize >> 20} MiB, DAX: {kind.IsDaxBacked}");

unsafe
{
    byte* text = (byte*)kind.Alloc(64);
    var span = new Span<byte>(text, 64);
    int length = System.Text.Encoding.UTF8.GetBytes("Hello from a file-backed heap", span);
    Console.WriteLine($"{System.Text.Encoding.UTF8.GetString(span[..length])} (usable size {kind.GetUsableSize(text)} bytes, owner {MemoryKind.Detect(text)?.Name})");

    var blocks = new List<nint>();
    void* block;
    while ((block = kind.TryAlloc(1 << 20)) != null) blocks.Add((nint)block);
    Console.WriteLine($"Filled the kind with {blocks.Count} blocks of 1 MiB; stats: {kind.GetStats()}");
    foreach (nint p in blocks) kind.Free((void*)p);
    kind.Free(text);
    Console.WriteLine($"Freed everything; stats: {kind.GetStats()}");
}

// The Default policy keeps freed storage for a few seconds for reuse; Trim gives it back now.
long released = kind.Trim();
Console.WriteLine($"Trim gave back {released >> 20} MiB; stats: {kind.GetStats()}; counters: {kind.GetCounters()}");
