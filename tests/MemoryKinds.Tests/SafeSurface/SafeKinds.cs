namespace MemoryKinds.Tests.SafeSurface;

/// <summary>The kinds every safe type is tested on: the DRAM default kind, pmem kinds on tmpfs and ext4, and a hardened pmem kind.</summary>
public static class SafeKinds
{
    public static TheoryData<string> All => new() { "default", "tmpfs", "ext4", "hardened" };

    /// <summary>Only pmem kinds, for tests that dispose the kind (disposing <see cref="MemoryKind.Default"/> does nothing).</summary>
    public static TheoryData<string> Pmem => new() { "tmpfs", "ext4", "hardened" };

    /// <summary>A kind to use with <c>using</c>: disposing the default kind does nothing.</summary>
    public static MemoryKind Create(string which, long maxSize = 0) => which switch
    {
        "default" => MemoryKind.Default,
        "tmpfs" or "ext4" => PmemKind.Create(TestDirectories.Get(which), maxSize),
        "hardened" => PmemKind.Create(new PmemConfig(TestDirectories.Tmpfs) { Size = maxSize, Hardened = true }),
        _ => throw new ArgumentOutOfRangeException(nameof(which), which, null),
    };

    /// <summary>A repeatable byte pattern with no period dividing a power of two.</summary>
    public static byte PatternAt(long position) => (byte)((position * 7 + (position >> 13)) % 251);
}
