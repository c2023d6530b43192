using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using MemoryKinds.AspNetCore.Transport;

namespace MemoryKinds.AspNetCore.Tests;

public sealed class TransportFactoryTests : IDisposable
{
    private readonly TempKind _temp = new();
    private readonly KindMemoryPoolFactory _pools;

    public TransportFactoryTests() => _pools = new KindMemoryPoolFactory(_temp.Kind);

    public void Dispose()
    {
        _pools.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task TakesIpAndUnixEndpointsAndLeavesOthersToKestrel()
    {
        var transport = new KindSocketTransportFactory(_pools, Options.Create(new KindSocketTransportOptions()));
        Assert.True(transport.CanBind(new IPEndPoint(IPAddress.Loopback, 0)));
        Assert.True(transport.CanBind(new UnixDomainSocketEndPoint("/tmp/unused.sock")));
        var handle = new FileHandleEndPoint(3, FileHandleType.Auto);
        Assert.False(transport.CanBind(handle));
        await Assert.ThrowsAsync<NotSupportedException>(() => transport.BindAsync(handle).AsTask());
    }

    [Fact]
    public async Task ListenerReportsThePortTheSystemChoseAndOwnsOnePool()
    {
        var transport = new KindSocketTransportFactory(_pools, Options.Create(new KindSocketTransportOptions()));
        IConnectionListener listener = await transport.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var bound = Assert.IsType<IPEndPoint>(listener.EndPoint);
        Assert.NotEqual(0, bound.Port);
        Assert.Equal(KindSocketTransportFactory.PoolOwner, Assert.Single(_pools.Pools).Owner);
        await listener.DisposeAsync();
        Assert.Empty(_pools.Pools);
        Assert.Null(await listener.AcceptAsync());
    }

    [Fact]
    public async Task BindingATakenPortSaysAddressInUse()
    {
        var transport = new KindSocketTransportFactory(_pools, Options.Create(new KindSocketTransportOptions()));
        await using IConnectionListener first = await transport.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        await Assert.ThrowsAsync<AddressInUseException>(() => transport.BindAsync(first.EndPoint).AsTask());
    }

    [Fact]
    public void NegativeSettingsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KindSocketTransportFactory(_pools, Options.Create(new KindSocketTransportOptions { MaxReadBufferSize = -1 })));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KindSocketTransportFactory(_pools, Options.Create(new KindSocketTransportOptions { MaxWriteBufferSize = -1 })));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KindSocketTransportFactory(_pools, Options.Create(new KindSocketTransportOptions { Backlog = -1 })));
    }
}
