using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MemoryKinds.AspNetCore.Transport;

/// <summary>
/// One non-blocking <c>sendmsg</c> of many pipe segments at once (Linux). .NET's gathered sends take only managed arrays,
/// and sending 4 KiB blocks one call each costs a system call per block; this hands the kernel up to
/// <see cref="MaxSegments"/> native or pinned segments in one call.
/// </summary>
internal static unsafe partial class GatherSend
{
    /// <summary>The most segments one call sends (Linux allows 1024).</summary>
    public const int MaxSegments = 64;

    private const int MsgNoSignal = 0x4000;
    private const int EAgain = 11;
    private const int EPipe = 32;
    private const int EConnReset = 104;

    /// <summary>Whether this platform's <c>msghdr</c> layout is the one declared here.</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>Sends what the socket takes now, from the start of <paramref name="buffer"/>, without waiting.</summary>
    /// <returns>The bytes sent; 0 when the socket's send buffer is full.</returns>
    /// <exception cref="SocketException">The connection is reset or the send failed.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    public static long TrySend(Socket socket, in ReadOnlySequence<byte> buffer)
    {
        IoVec* vectors = stackalloc IoVec[MaxSegments];
        var pinned = new Pins();
        Span<MemoryHandle> pins = pinned;
        int count = 0;
        SafeHandle handle = socket.SafeHandle;
        bool referenced = false;
        try
        {
            foreach (ReadOnlyMemory<byte> segment in buffer)
            {
                if (segment.IsEmpty) continue;
                pins[count] = segment.Pin();
                vectors[count] = new IoVec { Base = pins[count].Pointer, Length = (nuint)segment.Length };
                if (++count == MaxSegments) break;
            }
            handle.DangerousAddRef(ref referenced);
            var message = new MessageHeader { Vectors = vectors, VectorCount = (nuint)count };
            nint sent = SendMessage(handle.DangerousGetHandle(), &message, MsgNoSignal);
            if (sent >= 0) return sent;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EAgain) return 0;
            throw new SocketException((int)(errno is EPipe or EConnReset ? SocketError.ConnectionReset : SocketError.SocketError));
        }
        finally
        {
            if (referenced) handle.DangerousRelease();
            for (int i = 0; i < count; i++) pins[i].Dispose();
        }
    }

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMessage(nint socket, MessageHeader* message, int flags);

    // On the stack: a send allocates nothing.
    [System.Runtime.CompilerServices.InlineArray(MaxSegments)]
    private struct Pins
    {
        private MemoryHandle _first;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    // struct msghdr of 64-bit Linux: name, namelen, iov, iovlen, control, controllen, flags.
    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }
}
