using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace MemoryKinds.AspNetCore.Transport;

/// <summary>A bound, listening socket that accepts <see cref="KindSocketConnection"/>s sharing one pool.</summary>
internal sealed class KindSocketListener : IConnectionListener
{
    private readonly Socket _socket;
    private readonly MemoryPool<byte> _pool;
    private readonly KindSocketTransportOptions _options;

    public KindSocketListener(Socket socket, MemoryPool<byte> pool, KindSocketTransportOptions options)
    {
        _socket = socket;
        _pool = pool;
        _options = options;
        // Read once: for port 0 this is the port the system chose, which Kestrel reports as the server's address.
        EndPoint = socket.LocalEndPoint!;
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return null; // unbound
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
            {
                return null; // unbound while waiting
            }
            catch (SocketException)
            {
                continue; // the peer gave up before the accept completed: wait for the next one
            }
            if (accepted.AddressFamily != AddressFamily.Unix) accepted.NoDelay = _options.NoDelay;
            var connection = new KindSocketConnection(accepted, _pool, _options);
            connection.Start();
            return connection;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        _pool.Dispose();
        return ValueTask.CompletedTask;
    }
}
