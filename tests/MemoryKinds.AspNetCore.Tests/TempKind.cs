namespace MemoryKinds.AspNetCore.Tests;

/// <summary>A pmem kind in a fresh directory under /tmp; disposing it disposes the kind and deletes the directory.</summary>
internal sealed class TempKind : IDisposable
{
    private readonly string _directory;

    public TempKind(long maxSize = 0)
    {
        _directory = Directory.CreateTempSubdirectory("memorykinds-aspnet-").FullName;
        Kind = PmemKind.Create(_directory, maxSize);
    }

    public PmemKind Kind { get; }

    public long Allocated => Kind.GetStats().Allocated;

    public void Dispose()
    {
        Kind.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
