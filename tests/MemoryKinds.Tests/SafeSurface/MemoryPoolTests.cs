using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace MemoryKinds.Tests.SafeSurface;

/// <summary>kind.CreateMemoryPool(): a MemoryPool&lt;byte&gt; over the kind, with System.IO.Pipelines and streams.</summary>
public class MemoryPoolTests
{
    [Theory]
    [MemberData(nameof(SafeKinds.All), MemberType = typeof(SafeKinds))]
    public void RentGivesKindMemory(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which);
        using KindMemoryPool pool = kind.CreateMemoryPool();
        Assert.Same(kind, pool.Kind);
        using (IMemoryOwner<byte> owner = pool.Rent())
        {
            Assert.True(owner.Memory.Length >= KindMemoryPool.DefaultBufferSize);
            AssertBelongsTo(kind, owner.Memory);
        }
        using (IMemoryOwner<byte> owner = pool.Rent(-1)) Assert.True(owner.Memory.Length >= 4096);
        using (IMemoryOwner<byte> owner = pool.Rent(0)) Assert.True(owner.Memory.Length >= 0);
        using (IMemoryOwner<byte> owner = pool.Rent(5000))
        {
            Assert.True(owner.Memory.Length >= 5000);
            owner.Memory.Span.Fill(1); // the whole length is usable
        }
        using (KindMemoryOwner<byte> owner = pool.Rent(3 << 20)) Assert.True(owner.Length >= 3 << 20);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(-2));
    }

    [Fact]
    public void MaxBufferSizeReflectsTheKind()
    {
        using (KindMemoryPool pool = MemoryKind.Default.CreateMemoryPool())
            Assert.Equal((int)Math.Min(int.MaxValue, MemoryKind.Default.Capacity), pool.MaxBufferSize);
        using (PmemKind unlimited = PmemKind.Create(TestDirectories.Ext4))
        using (KindMemoryPool pool = unlimited.CreateMemoryPool())
            Assert.Equal(int.MaxValue, pool.MaxBufferSize); // the file system is larger than 2 GiB
        using PmemKind bounded = PmemKind.Create(TestDirectories.Tmpfs, 32L << 20);
        using KindMemoryPool boundedPool = bounded.CreateMemoryPool();
        Assert.Equal(32 << 20, boundedPool.MaxBufferSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => boundedPool.Rent((32 << 20) + 1));
        using KindMemoryOwner<byte> whole = boundedPool.Rent(boundedPool.MaxBufferSize);
        Assert.Equal(32 << 20, whole.Length);
        Assert.Throws<OutOfMemoryException>(() => boundedPool.Rent(1 << 20)); // the kind is full
    }

    [Fact]
    public void DisposedPoolStopsRentingButBuffersStayValid()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs);
        KindMemoryPool pool = kind.CreateMemoryPool();
        IMemoryOwner<byte> owner = pool.Rent(100);
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
        owner.Memory.Span.Fill(7);
        Assert.Equal(7, owner.Memory.Span[99]);
        owner.Dispose();
        Assert.Equal(0, kind.GetStats().Allocated);
        Assert.Throws<ObjectDisposedException>(() => owner.Memory);
    }

    [Fact]
    public void DisposedKindFailsRentsAndBuffers()
    {
        PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs);
        using KindMemoryPool pool = kind.CreateMemoryPool();
        IMemoryOwner<byte> owner = pool.Rent();
        kind.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
        Assert.Throws<ObjectDisposedException>(() => owner.Memory);
        owner.Dispose();
        Assert.Throws<ObjectDisposedException>(() => kind.CreateMemoryPool());
    }

    /// <summary>A writer task and a reader task move 1 GiB through a Pipe whose segments come from a 64 MiB tmpfs kind.</summary>
    [Fact]
    public async Task PipeMovesOneGibibyteThroughABoundedKind()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, 64L << 20);
        long moved = await MoveThroughPipe(kind, 1L << 30);
        Assert.Equal(1L << 30, moved);
        Assert.Equal(0, kind.GetStats().Allocated); // every segment went back to the kind
    }

    [Theory]
    [MemberData(nameof(SafeKinds.All), MemberType = typeof(SafeKinds))]
    public async Task PipeWorksOnEveryKind(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which, which == "default" ? 0 : 32L << 20);
        Assert.Equal(64L << 20, await MoveThroughPipe(kind, 64L << 20));
    }

    private static async Task<long> MoveThroughPipe(MemoryKind kind, long total)
    {
        const int Period = 65_521; // prime: the pattern never lines up with segment boundaries
        const int Chunk = 64 << 10;
        byte[] pattern = new byte[Period + (1 << 20)];
        for (int i = 0; i < pattern.Length; i++) pattern[i] = SafeKinds.PatternAt(i % Period);

        using KindMemoryPool pool = kind.CreateMemoryPool();
        var pipe = new Pipe(new PipeOptions(pool: pool, minimumSegmentSize: Chunk, pauseWriterThreshold: 4 << 20,
            resumeWriterThreshold: 2 << 20, useSynchronizationContext: false));

        Task writer = Task.Run(async () =>
        {
            long written = 0;
            while (written < total)
            {
                Memory<byte> memory = pipe.Writer.GetMemory(Chunk);
                AssertBelongsTo(kind, memory);
                int n = (int)Math.Min(Math.Min(memory.Length, 1 << 20), total - written);
                pattern.AsSpan((int)(written % Period), n).CopyTo(memory.Span);
                pipe.Writer.Advance(n);
                written += n;
                FlushResult flush = await pipe.Writer.FlushAsync();
                if (flush.IsCompleted) break;
            }
            await pipe.Writer.CompleteAsync();
        });
        Task<long> reader = Task.Run(async () =>
        {
            long read = 0;
            while (true)
            {
                ReadResult result = await pipe.Reader.ReadAsync();
                foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                {
                    ReadOnlySpan<byte> span = segment.Span;
                    while (!span.IsEmpty)
                    {
                        int n = Math.Min(span.Length, 1 << 20);
                        if (!span[..n].SequenceEqual(pattern.AsSpan((int)(read % Period), n)))
                            Assert.Fail($"Wrong bytes at stream offset {read}..{read + n}.");
                        read += n;
                        span = span[n..];
                    }
                }
                pipe.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted) break;
            }
            await pipe.Reader.CompleteAsync();
            return read;
        });
        await writer;
        return await reader;
    }

    /// <summary>Stream → PipeWriter (Stream.CopyToAsync) and PipeReader → Stream, with pipe and stream adapters renting from the kind.</summary>
    [Theory]
    [MemberData(nameof(SafeKinds.All), MemberType = typeof(SafeKinds))]
    public async Task StreamCopiesThroughPipes(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which, which == "default" ? 0 : 32L << 20);
        using KindMemoryPool pool = kind.CreateMemoryPool();
        byte[] data = RandomNumberGenerator.GetBytes(12 << 20);
        string source = Path.Combine(TestDirectories.Tmpfs, $"pool-source-{which}-{Guid.NewGuid():n}");
        string target = source + ".copy";
        await File.WriteAllBytesAsync(source, data);
        try
        {
            // File → Pipe (Stream.CopyToAsync(PipeWriter)) → file (PipeReader.CopyToAsync(Stream)).
            var pipe = new Pipe(new PipeOptions(pool: pool, useSynchronizationContext: false));
            await using (FileStream input = File.OpenRead(source))
            await using (FileStream output = File.Create(target))
            {
                Task fill = Task.Run(async () =>
                {
                    await input.CopyToAsync(pipe.Writer);
                    await pipe.Writer.CompleteAsync();
                });
                await pipe.Reader.CopyToAsync(output);
                await pipe.Reader.CompleteAsync();
                await fill;
            }
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(await File.ReadAllBytesAsync(target)));

            // Stream-backed pipes renting from the pool: PipeReader.Create(stream) → PipeWriter.Create(stream).
            using var memoryTarget = new MemoryStream();
            await using (FileStream input = File.OpenRead(source))
            {
                PipeReader streamReader = PipeReader.Create(input, new StreamPipeReaderOptions(pool: pool, bufferSize: 32 << 10));
                PipeWriter streamWriter = PipeWriter.Create(memoryTarget, new StreamPipeWriterOptions(pool: pool, leaveOpen: true));
                await streamReader.CopyToAsync(streamWriter);
                await streamReader.CompleteAsync();
                await streamWriter.CompleteAsync();
            }
            Assert.True(data.AsSpan().SequenceEqual(memoryTarget.ToArray()));

            // A plain Stream copy through one buffer rented from the pool (FileStream pins it for its reads and writes).
            File.Delete(target);
            await using (FileStream input = File.OpenRead(source))
            await using (FileStream output = new(target, FileMode.Create, FileAccess.Write, FileShare.None, 1, useAsync: true))
            {
                using IMemoryOwner<byte> buffer = pool.Rent(81_920);
                int n;
                while ((n = await input.ReadAsync(buffer.Memory)) > 0) await output.WriteAsync(buffer.Memory[..n]);
            }
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(await File.ReadAllBytesAsync(target)));
        }
        finally
        {
            File.Delete(source);
            File.Delete(target);
        }
        if (which is not ("default" or "hardened")) Assert.Equal(0, kind.GetStats().Allocated);
    }

    private static unsafe void AssertBelongsTo(MemoryKind kind, Memory<byte> memory)
    {
        Assert.True(MemoryMarshal.TryGetMemoryManager<byte, KindMemoryOwner<byte>>(memory, out KindMemoryOwner<byte>? owner));
        Assert.Same(kind, owner!.Kind);
        using MemoryHandle handle = memory.Pin();
        Assert.Same(kind, MemoryKind.Detect(handle.Pointer));
    }
}
