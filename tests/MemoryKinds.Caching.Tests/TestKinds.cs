namespace MemoryKinds.Caching.Tests;

/// <summary>A pmem kind in a new directory under /tmp; disposing it disposes the kind and deletes the directory.</summary>
internal sealed class TempPmemKind : IDisposable
{
    public TempPmemKind(long maxSize = 0)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("memkinds-cache-").FullName;
        Kind = PmemKind.Create(Directory, maxSize);
    }

    public string Directory { get; }

    public PmemKind Kind { get; }

    public void Dispose()
    {
        Kind.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

internal static class TestValues
{
    /// <summary>A value whose bytes depend on the key and a version, so a reader can tell which write it got.</summary>
    public static byte[] For(string key, int length, int version = 0)
    {
        var value = new byte[length];
        int seed = HashCode.Combine(key, version);
        for (int i = 0; i < length; i++) value[i] = (byte)(seed + i * 31);
        return value;
    }

    /// <summary>A DRAM kind with a unique name.</summary>
    public static MemoryKind DramKind() => MemoryKind.Create($"cache-test-{Guid.NewGuid():N}", new AnonymousMemorySource());
}
