using System.Net.Sockets;

namespace MemoryKinds.AspNetCore.Tests;

/// <summary>A client that stops reading fills the socket, so the transport's sends must wait for room and resume.</summary>
public sealed class BackPressureTests
{
    // Far more than the kernel buffers for one loopback connection (a 16 KiB receive buffer here, at most a 4 MiB send buffer).
    private const int ResponseBytes = 16 << 20;

    [Fact]
    public async Task ResponseToAPausedReaderArrivesWholeAndInOrder()
    {
        using var temp = new TempKind();
        await using (EchoHost host = await EchoHost.StartAsync(temp.Kind))
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, cancellation) =>
                {
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 16 << 10 };
                    await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            using var client = new HttpClient(handler);
            var uri = new Uri(host.EchoUri, $"/bytes/{ResponseBytes}");
            using HttpResponseMessage response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            await using Stream body = await response.Content.ReadAsStreamAsync();
            await Task.Delay(500); // the server writes on until the socket is full
            Assert.Equal(ResponseBytes, await ReadAndCheckPatternAsync(body));
        }
        Assert.Equal(0, temp.Allocated);
    }

    private static async Task<long> ReadAndCheckPatternAsync(Stream body)
    {
        var buffer = new byte[64 << 10];
        var expected = new byte[buffer.Length];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            EchoHost.FillPattern(expected.AsSpan(0, read), total);
            Assert.True(buffer.AsSpan(0, read).SequenceEqual(expected.AsSpan(0, read)), $"bytes {total} to {total + read} differ from the pattern");
            total += read;
        }
        return total;
    }
}
