using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace MemoryKinds.AspNetCore.Transport;

/// <summary>
/// Kestrel's transport for TCP and Unix-socket endpoints when <see cref="MemoryKindServiceCollectionExtensions.AddMemoryKindPools"/>
/// is used: every listener takes one pool from the registered <see cref="IMemoryPoolFactory{T}"/> for all its connections.
/// </summary>
internal sealed class KindSocketTransportFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    /// <summary>The <see cref="MemoryPoolOptions.Owner"/> the transport's pools are made with.</summary>
    public const string PoolOwner = "memorykinds.sockets";

    private readonly IMemoryPoolFactory<byte> _pools;
    private readonly KindSocketTransportOptions _options;

    public KindSocketTransportFactory(IMemoryPoolFactory<byte> pools, IOptions<KindSocketTransportOptions> options)
    {
        ArgumentNullException.ThrowIfNull(pools);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Value.MaxReadBufferSize, nameof(KindSocketTransportOptions.MaxReadBufferSize));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Value.MaxWriteBufferSize, nameof(KindSocketTransportOptions.MaxWriteBufferSize));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Value.Backlog, nameof(KindSocketTransportOptions.Backlog));
        _pools = pools;
        _options = options.Value;
    }

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint or UnixDomainSocketEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!CanBind(endpoint)) throw new NotSupportedException($"{endpoint.GetType().Name} is not supported: only IP and Unix-socket endpoints are.");
        Socket socket = Listen(endpoint, _options.Backlog);
        var pool = _pools.Create(new MemoryPoolOptions { Owner = PoolOwner });
        return ValueTask.FromResult<IConnectionListener>(new KindSocketListener(socket, pool, _options));
    }

    private static Socket Listen(EndPoint endpoint, int backlog)
    {
        Socket socket = endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint is IPEndPoint { Address: var address } && address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            socket.Bind(endpoint);
            socket.Listen(backlog);
            return socket;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            // Kestrel tells this exception apart (it tries the next address for "localhost").
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
