using System.IO.Compression;
using System.Text.Json;

namespace MemoryKinds.Tests.SafeSurface;

/// <summary>KindStream with the framework's stream consumers: JsonSerializer, GZip and Brotli, CopyToAsync to and from other streams.</summary>
public class KindStreamInteropTests
{
    internal sealed record Order(int Id, string Customer, decimal[] Lines, DateTime Placed);

    [Fact]
    public async Task JsonSerializerWritesIntoTheStreamAndReadsBackAfterRewinding()
    {
        using MemoryKind kind = SafeKinds.Create("tmpfs");
        Order[] orders = Orders();
        using var stream = new KindStream(kind, segmentSize: 4096);
        JsonSerializer.Serialize(stream, orders);
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(orders), KindStreamTests.ReadAll(stream));

        stream.Position = 0;
        Order[]? back = JsonSerializer.Deserialize<Order[]>(stream);
        AssertSameOrders(orders, back);

        stream.SetLength(0);
        await JsonSerializer.SerializeAsync(stream, orders);
        stream.Position = 0;
        AssertSameOrders(orders, await JsonSerializer.DeserializeAsync<Order[]>(stream));
    }

    [Fact]
    public void GZipAndBrotliCompressIntoTheStreamAndDecompressFromIt()
    {
        using MemoryKind kind = SafeKinds.Create("tmpfs");
        byte[] data = Data(3 << 20);
        foreach (Func<Stream, CompressionMode, Stream> codec in new Func<Stream, CompressionMode, Stream>[]
        {
            (s, mode) => mode == CompressionMode.Compress ? new GZipStream(s, CompressionLevel.Fastest, leaveOpen: true) : new GZipStream(s, mode, leaveOpen: true),
            (s, mode) => mode == CompressionMode.Compress ? new BrotliStream(s, CompressionLevel.Fastest, leaveOpen: true) : new BrotliStream(s, mode, leaveOpen: true),
        })
        {
            using var stream = new KindStream(kind, segmentSize: 16384);
            using (Stream compressor = codec(stream, CompressionMode.Compress))
            {
                for (int at = 0; at < data.Length; at += 100_003) compressor.Write(data, at, Math.Min(100_003, data.Length - at));
            }
            Assert.InRange(stream.Length, 1, data.Length - 1);

            stream.Position = 0;
            var restored = new MemoryStream();
            using (Stream decompressor = codec(stream, CompressionMode.Decompress)) decompressor.CopyTo(restored);
            Assert.Equal(data, restored.ToArray());

            // The compressed bytes are what the codec reads from a MemoryStream too.
            using Stream fromCopy = codec(new MemoryStream(KindStreamTests.ReadAll(stream)), CompressionMode.Decompress);
            restored.SetLength(0);
            fromCopy.CopyTo(restored);
            Assert.Equal(data, restored.ToArray());
        }
    }

    [Fact]
    public async Task CopyToAsyncWritesFromThePositionToTheEndIncludingHoles()
    {
        using MemoryKind kind = SafeKinds.Create("tmpfs");
        using var stream = new KindStream(kind, segmentSize: 10_000);
        byte[] head = KindStreamTests.Pattern(0, 250_000);
        stream.Write(head);
        stream.SetLength(300_000); // a hole of 50,000 zeros
        stream.Seek(0, SeekOrigin.End);
        stream.Write(head.AsSpan(0, 1234));
        byte[] expected = [.. head, .. new byte[50_000], .. head.AsSpan(0, 1234)];

        stream.Position = 777;
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        Assert.Equal(expected[777..], copy.ToArray());
        Assert.Equal(stream.Length, stream.Position);

        stream.Position = 0;
        copy.SetLength(0);
        await stream.CopyToAsync(copy, bufferSize: 1);
        Assert.Equal(expected, copy.ToArray());

        copy.SetLength(0);
        stream.CopyTo(copy); // at the end: nothing
        Assert.Equal(0, copy.Length);
        await Assert.ThrowsAsync<ArgumentNullException>(() => stream.CopyToAsync(null!));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => stream.CopyToAsync(copy, 0));

        using var canceled = new CancellationTokenSource();
        canceled.Cancel();
        stream.Position = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.CopyToAsync(copy, 4096, canceled.Token));
    }

    [Fact]
    public async Task CopyToAsyncFromAndToFileStreams()
    {
        using MemoryKind kind = SafeKinds.Create("tmpfs");
        byte[] data = Data(5 << 20);
        string source = Path.Combine(TestDirectories.Ext4, $"kindstream-source-{Guid.NewGuid():N}");
        string target = Path.Combine(TestDirectories.Ext4, $"kindstream-target-{Guid.NewGuid():N}");
        try
        {
            await File.WriteAllBytesAsync(source, data);
            using var stream = new KindStream(kind);
            await using (var file = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true))
                await file.CopyToAsync(stream);
            Assert.Equal(data.Length, stream.Length);
            Assert.Equal(data, KindStreamTests.ReadAll(stream));

            stream.Position = 0;
            await using (var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, useAsync: true))
                await stream.CopyToAsync(file);
            Assert.Equal(data, await File.ReadAllBytesAsync(target));
        }
        finally
        {
            File.Delete(source);
            File.Delete(target);
        }
    }

    /// <summary>Half compressible text, half random bytes.</summary>
    private static byte[] Data(int count)
    {
        var data = new byte[count];
        for (int i = 0; i < count / 2; i++) data[i] = (byte)"the quick brown fox jumps over the lazy dog "[i % 44];
        new Random(5).NextBytes(data.AsSpan(count / 2));
        return data;
    }

    internal static Order[] Orders() => Enumerable.Range(0, 3000)
        .Select(i => new Order(i, $"customer {i % 97}", [i, i * 0.5m, -i], new DateTime(2024, 1, 1).AddMinutes(i)))
        .ToArray();

    internal static void AssertSameOrders(Order[] expected, Order[]? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Id, actual[i].Id);
            Assert.Equal(expected[i].Customer, actual[i].Customer);
            Assert.Equal(expected[i].Lines, actual[i].Lines);
            Assert.Equal(expected[i].Placed, actual[i].Placed);
        }
    }
}
