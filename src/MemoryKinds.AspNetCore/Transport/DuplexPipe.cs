using System.IO.Pipelines;

namespace MemoryKinds.AspNetCore.Transport;

/// <summary>The application's side of a connection: what it reads and what it writes.</summary>
internal sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
