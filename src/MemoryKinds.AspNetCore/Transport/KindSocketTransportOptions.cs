namespace MemoryKinds.AspNetCore;

/// <summary>
/// Settings of the socket transport that <see cref="MemoryKindServiceCollectionExtensions.AddMemoryKindPools"/> installs;
/// change them with <c>services.Configure&lt;KindSocketTransportOptions&gt;(…)</c>. The defaults are Kestrel's.
/// </summary>
public sealed class KindSocketTransportOptions
{
    /// <summary>How many received bytes a connection buffers before it stops reading from the socket: 1 MiB; 0 for no limit.</summary>
    public long MaxReadBufferSize { get; set; } = 1024 * 1024;

    /// <summary>How many bytes the application may write ahead of the socket before its writes wait: 64 KiB; 0 for no limit.</summary>
    public long MaxWriteBufferSize { get; set; } = 64 * 1024;

    /// <summary>
    /// Whether an idle connection waits for data with a zero-byte read before it rents a block, so idle connections hold
    /// no memory of the kind (true by default).
    /// </summary>
    public bool WaitForDataBeforeAllocatingBuffer { get; set; } = true;

    /// <summary>Whether Nagle's algorithm is off on TCP connections (true by default).</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>The listen backlog: 512.</summary>
    public int Backlog { get; set; } = 512;
}
