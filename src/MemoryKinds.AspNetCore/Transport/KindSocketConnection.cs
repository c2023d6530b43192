using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace MemoryKinds.AspNetCore.Transport;

/// <summary>
/// One accepted socket as Kestrel's <see cref="ConnectionContext"/>: a receive loop fills the input pipe and a send loop
/// drains the output pipe, both pipes taking their segments from the listener's pool. .NET's gathered send
/// (<c>SocketAsyncEventArgs.BufferList</c>) would need managed arrays, so segments go out through <see cref="GatherSend"/>
/// (one <c>sendmsg</c> for many) and, when the socket is full, through
/// <see cref="Socket.SendAsync(ReadOnlyMemory{byte}, SocketFlags, CancellationToken)"/> of one segment, which takes native memory.
/// </summary>
internal sealed class KindSocketConnection : ConnectionContext, IMemoryPoolFeature, IConnectionSocketFeature
{
    private static long s_lastId;

    private readonly Socket _socket;
    private readonly MemoryPool<byte> _pool;
    private readonly bool _waitForData;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly CancellationTokenSource _closed = new();
    private Task _receiving = Task.CompletedTask;
    private Task _sending = Task.CompletedTask;
    private volatile ConnectionAbortedException? _abortReason;

    public KindSocketConnection(Socket socket, MemoryPool<byte> pool, KindSocketTransportOptions options)
    {
        _socket = socket;
        _pool = pool;
        _waitForData = options.WaitForDataBeforeAllocatingBuffer;
        _input = new Pipe(PipeOptionsFor(pool, options.MaxReadBufferSize));
        _output = new Pipe(PipeOptionsFor(pool, options.MaxWriteBufferSize));
        Transport = new DuplexPipe(_input.Reader, _output.Writer);
        ConnectionId = $"mk{Interlocked.Increment(ref s_lastId):x}";
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        Features.Set<IMemoryPoolFeature>(this);
        Features.Set<IConnectionSocketFeature>(this);
        ConnectionClosed = _closed.Token;
    }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new ConnectionItems();

    public override IDuplexPipe Transport { get; set; }

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public MemoryPool<byte> MemoryPool => _pool;

    public Socket Socket => _socket;

    public void Start()
    {
        _receiving = ReceiveLoopAsync();
        _sending = SendLoopAsync();
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _abortReason ??= abortReason;
        _output.Reader.CancelPendingRead();
        // Closing the socket ends a pending receive or send at once and resets the peer.
        _socket.Dispose();
    }

    public override async ValueTask DisposeAsync()
    {
        _input.Reader.Complete();
        _output.Writer.Complete();
        await _sending.ConfigureAwait(false);
        await _receiving.ConfigureAwait(false);
        _socket.Dispose();
        _closed.Dispose();
    }

    private static PipeOptions PipeOptionsFor(MemoryPool<byte> pool, long limit) => new(
        pool,
        pauseWriterThreshold: limit,
        resumeWriterThreshold: limit / 2,
        minimumSegmentSize: pool.MaxBufferSize,
        useSynchronizationContext: false);

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        try
        {
            PipeWriter input = _input.Writer;
            bool filledLastBuffer = false;
            while (true)
            {
                // A read that filled its buffer probably left more waiting: then the zero-byte wait would only cost a call.
                if (_waitForData && !filledLastBuffer) await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                Memory<byte> buffer = input.GetMemory();
                int received = await _socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (received == 0) break; // the peer has finished sending
                filledLastBuffer = received == buffer.Length;
                input.Advance(received);
                FlushResult flushed = await input.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled) break;
            }
        }
        catch (Exception e)
        {
            error = Translate(e);
        }
        finally
        {
            // An abort is the reason a receive fails afterwards; report it rather than the socket error it caused.
            _input.Writer.Complete(_abortReason ?? error);
            // Run Kestrel's callbacks (such as RequestAborted) on the thread pool, not inside this loop.
            _ = _closed.CancelAsync();
        }
    }

    private async Task SendLoopAsync()
    {
        Exception? error = null;
        try
        {
            PipeReader output = _output.Reader;
            while (true)
            {
                ReadResult result = await output.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled) break;
                ReadOnlySequence<byte> buffer = result.Buffer;
                await SendAllAsync(buffer).ConfigureAwait(false);
                output.AdvanceTo(buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (Exception e)
        {
            error = Translate(e);
        }
        finally
        {
            _output.Reader.Complete(_abortReason ?? error);
            ShutDownSocket();
        }
    }

    // Gathers segments into one sendmsg while the socket takes them; when it is full, or where sendmsg is not declared,
    // an awaited send of one segment waits for room.
    private async ValueTask SendAllAsync(ReadOnlySequence<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            long sent = GatherSend.IsSupported ? GatherSend.TrySend(_socket, buffer) : 0;
            if (sent == 0) sent = await _socket.SendAsync(buffer.First, SocketFlags.None).ConfigureAwait(false);
            buffer = buffer.Slice(sent);
        }
    }

    // The application is done writing (or the connection failed): send FIN after what was written, which also ends the
    // receive loop once the peer closes its side.
    private void ShutDownSocket()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already reset, closed or aborted: nothing left to shut down.
        }
    }

    private static Exception Translate(Exception e) => e switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown } s =>
            new ConnectionResetException(s.Message, s),
        SocketException { SocketErrorCode: SocketError.OperationAborted } or ObjectDisposedException =>
            new ConnectionAbortedException("The connection was aborted.", e),
        _ => e,
    };
}
