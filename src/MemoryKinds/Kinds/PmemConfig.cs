namespace MemoryKinds;

/// <summary>Settings for a <see cref="PmemKind"/> (memkind's <c>memkind_config</c>, but with real defaults).</summary>
/// <param name="Path">The directory for the kind's temporary file.</param>
public sealed record PmemConfig(string Path)
{
    /// <summary>The most file space the kind may use, in bytes: 0 (the default) for no limit but the file system, else at least <see cref="PmemKind.MinSize"/>.</summary>
    public long Size { get; init; }

    /// <summary>How eagerly freed space goes back to the file system.</summary>
    public MemoryUsagePolicy UsagePolicy { get; init; } = MemoryUsagePolicy.Default;

    /// <summary>Turns on hardened mode for the kind (see <see cref="MemoryKind.IsHardened"/>): for finding the caller's memory bugs, at a cost.</summary>
    public bool Hardened { get; init; }
}
