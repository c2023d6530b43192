using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;

namespace MemoryKinds.AspNetCore.Tests;

/// <summary>The transport over the endpoints other than plain TCP: TLS on top of it, and Unix sockets.</summary>
public sealed class EndpointTests
{
    [Fact]
    public async Task HttpsEchoIsIntactAndItsConnectionUsesTheKindsPool()
    {
        using var temp = new TempKind();
        using X509Certificate2 certificate = SelfSigned();
        await using (EchoHost host = await EchoHost.StartAsync(temp.Kind, kestrel => kestrel.Listen(IPAddress.Loopback, 0, endpoint => endpoint.UseHttps(certificate))))
        {
            Assert.Equal(Uri.UriSchemeHttps, host.EchoUri.Scheme);
            var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString();
            using var client = new HttpClient(handler);
            Assert.Equal(nameof(KindBlockPool), await KestrelOnKindTests.EchoAsync(client, host.EchoUri, seed: 7));
            Assert.True(host.PeakAllocated >= KindBlockPool.BlockSize, $"the kind had at most {host.PeakAllocated} bytes allocated as the request started");
        }
        Assert.Equal(0, temp.Allocated);
    }

    [Fact]
    public async Task UnixSocketEchoIsIntact()
    {
        using var temp = new TempKind();
        string path = Path.Combine(Path.GetTempPath(), $"memorykinds-aspnet-{Guid.NewGuid():N}.sock");
        try
        {
            await using (EchoHost host = await EchoHost.StartAsync(temp.Kind, kestrel => kestrel.ListenUnixSocket(path)))
            {
                var handler = new SocketsHttpHandler
                {
                    ConnectCallback = async (_, cancellation) =>
                    {
                        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellation);
                        return new NetworkStream(socket, ownsSocket: true);
                    },
                };
                using var client = new HttpClient(handler);
                // 256 KiB: many blocks per send. A streamed echo of 2 MiB over a Unix socket stalls with Kestrel's own
                // transport as well (seen with .NET 10.0.12), so larger bodies would test HttpClient, not this transport.
                var body = new byte[256 << 10];
                new Random(8).NextBytes(body);
                Assert.Equal(nameof(KindBlockPool), await KestrelOnKindTests.EchoAsync(client, new Uri("http://localhost/echo"), body));
            }
            Assert.Equal(0, temp.Allocated);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static X509Certificate2 SelfSigned()
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Through PKCS#12 so the private key is one SslStream can use on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }
}
