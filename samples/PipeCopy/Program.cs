// Copies a file through a System.IO.Pipelines Pipe whose buffers come from a pmem kind (kind.CreateMemoryPool()): the
// data in flight lives in the kind's file, not on the managed heap. Usage: PipeCopy [directory [source destination]].
// With only a directory (default: the temp directory), it copies a generated 48 MiB file there and checks the copy.
using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using MemoryKinds;

string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
bool generated = args.Length < 3;
string source = generated ? Path.Combine(dir, $"pipecopy-{Environment.ProcessId}.src") : args[1];
string destination = generated ? Path.Combine(dir, $"pipecopy-{Environment.ProcessId}.dst") : args[2];
try
{
    if (generated)
    {
        var random = new Random(7);
        var chunk = new byte[1 << 20];
        using FileStream file = File.Create(source);
        for (int i = 0; i < 48; i++)
        {
            random.NextBytes(chunk);
            file.Write(chunk);
        }
    }

    // A small kind: the pipe's back-pressure keeps at most about 1 MiB in flight.
    using PmemKind kind = PmemKind.Create(dir, PmemKind.MinSize);
    using KindMemoryPool pool = kind.CreateMemoryPool();
    var pipe = new Pipe(new PipeOptions(pool: pool, minimumSegmentSize: 64 << 10, pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 512 << 10, useSynchronizationContext: false));
    var clock = System.Diagnostics.Stopwatch.StartNew();
    long peakActive = 0;

    async Task Fill()
    {
        await using FileStream input = new(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true);
        while (true)
        {
            Memory<byte> memory = pipe.Writer.GetMemory(64 << 10);
            int read = await input.ReadAsync(memory);
            if (read == 0) break;
            pipe.Writer.Advance(read);
            FlushResult flush = await pipe.Writer.FlushAsync();
            if (flush.IsCompleted) break;
        }
        await pipe.Writer.CompleteAsync();
    }

    async Task Drain()
    {
        await using FileStream output = new(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1, useAsync: true);
        while (true)
        {
            ReadResult result = await pipe.Reader.ReadAsync();
            peakActive = Math.Max(peakActive, kind.GetStats().Active);
            foreach (ReadOnlyMemory<byte> segment in result.Buffer) await output.WriteAsync(segment);
            pipe.Reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted) break;
        }
        await pipe.Reader.CompleteAsync();
    }

    await Task.WhenAll(Task.Run(Fill), Task.Run(Drain));
    clock.Stop();

    long length = new FileInfo(source).Length;
    byte[] expected = SHA256.HashData(File.ReadAllBytes(source)), actual = SHA256.HashData(File.ReadAllBytes(destination));
    Console.WriteLine($"Copied {length >> 20} MiB in {clock.Elapsed.TotalMilliseconds:0} ms through {pool}; peak active {peakActive >> 10} KiB of the kind's {kind.MaxSize >> 20} MiB.");
    if (!expected.AsSpan().SequenceEqual(actual) || new FileInfo(destination).Length != length)
    {
        Console.Error.WriteLine("Unexpected result: the copy differs from the source.");
        return 1;
    }
    Console.WriteLine($"SHA-256 of both files: {Convert.ToHexString(actual)[..16]}...");
    return 0;
}
finally
{
    if (generated)
    {
        File.Delete(source);
        File.Delete(destination);
    }
}
