using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using MemoryKinds.AspNetCore.Transport;

namespace MemoryKinds.AspNetCore.Tests;

public sealed class KestrelOnKindTests
{
    private const int Connections = 64;

    [Fact]
    public async Task ConcurrentLargeEchoesAreIntactAndTheirBuffersComeFromTheKind()
    {
        using var temp = new TempKind();
        KindMemoryPoolFactory factory;
        await using (EchoHost host = await EchoHost.StartAsync(temp.Kind))
        {
            Assert.IsType<KindSocketTransportFactory>(host.App.Services.GetServices<IConnectionListenerFactory>().Last());
            factory = host.App.Services.GetRequiredService<KindMemoryPoolFactory>();
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Connections });
            string?[] pools = await Task.WhenAll(Enumerable.Range(0, Connections).Select(i => EchoAsync(client, host.EchoUri, seed: i)));
            Assert.All(pools, pool => Assert.Equal(nameof(KindBlockPool), pool));
            Assert.Contains(factory.Pools, pool => pool.Owner == KindSocketTransportFactory.PoolOwner && pool.AllocatedBlocks > 0);
            Assert.True(host.PeakAllocated >= KindBlockPool.BlockSize, $"the kind had at most {host.PeakAllocated} bytes allocated as requests started");
        }
        Assert.Empty(factory.Pools);
        Assert.Equal(0, temp.Allocated);
    }

    [Fact]
    public async Task FullKindFailsRequestsCleanlyAndTheServerRecovers()
    {
        using var temp = new TempKind(PmemKind.MinSize);
        await using EchoHost host = await EchoHost.StartAsync(temp.Kind);
        using var client = new HttpClient();
        List<nint> hog = Fill(temp.Kind);
        try
        {
            for (int i = 0; i < 4; i++)
            {
                HttpStatusCode? status = await TryEchoAsync(client, host.EchoUri, seed: i);
                Assert.True(status is null or >= HttpStatusCode.InternalServerError, $"request {i} into a full kind ended with {status}");
            }
        }
        finally
        {
            Release(temp.Kind, hog);
        }
        Assert.Equal(nameof(KindBlockPool), await EchoAsync(client, host.EchoUri, seed: 99));
    }

    /// <summary>Echoes 1–4 MiB of seeded random bytes, checks them, and returns the pool type the server reported.</summary>
    internal static Task<string?> EchoAsync(HttpClient client, Uri uri, int seed) => EchoAsync(client, uri, Body(seed));

    /// <summary>Echoes <paramref name="body"/>, checks it, and returns the pool type the server reported.</summary>
    internal static async Task<string?> EchoAsync(HttpClient client, Uri uri, byte[] body)
    {
        using HttpResponseMessage response = await client.PostAsync(uri, new ByteArrayContent(body));
        byte[] echoed = await response.EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync();
        Assert.Equal(body.Length, echoed.Length);
        Assert.True(body.AsSpan().SequenceEqual(echoed), "the echo differs from what was sent");
        return response.Headers.TryGetValues(EchoHost.PoolHeader, out var values) ? values.Single() : null;
    }

    /// <summary>The status of an echo, or null when the connection was closed under it.</summary>
    private static async Task<HttpStatusCode?> TryEchoAsync(HttpClient client, Uri uri, int seed)
    {
        try
        {
            using HttpResponseMessage response = await client.PostAsync(uri, new ByteArrayContent(Body(seed)));
            await response.Content.ReadAsByteArrayAsync();
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static byte[] Body(int seed)
    {
        var random = new Random(seed);
        var body = new byte[random.Next(1 << 20, (4 << 20) + 1)];
        random.NextBytes(body);
        return body;
    }

    private static unsafe List<nint> Fill(MemoryKind kind)
    {
        var blocks = new List<nint>();
        foreach (nuint size in new nuint[] { 1 << 20, 64 << 10, 4 << 10, 16 })
        {
            void* block;
            while ((block = kind.TryAlloc(size)) != null) blocks.Add((nint)block);
        }
        return blocks;
    }

    private static unsafe void Release(MemoryKind kind, List<nint> blocks) => blocks.ForEach(block => kind.Free((void*)block));
}
