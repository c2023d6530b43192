namespace MemoryKinds;

/// <summary>The layout of <see cref="MemoryKind.GetStatsReport(StatsFormat)"/>.</summary>
public enum StatsFormat
{
    /// <summary>Aligned, human-readable lines, one per figure (sizes also in KiB/MiB/GiB).</summary>
    Text = 0,

    /// <summary>An indented JSON object with camelCase property names; sizes in bytes, absent figures as <c>null</c>.</summary>
    Json = 1,
}
