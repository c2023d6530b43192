using System.Globalization;

namespace MemoryKinds.Native.Abi;

/// <summary>The parameters <c>memtier_ctl_set</c> sets, and the C type its <c>val</c> points to for each.</summary>
internal enum MemtierParameter
{
    /// <summary><c>policy.dynamic_threshold.thresholds[ID].val</c>, size_t.</summary>
    ThresholdValue,
    /// <summary><c>policy.dynamic_threshold.thresholds[ID].min</c>, size_t.</summary>
    ThresholdMin,
    /// <summary><c>policy.dynamic_threshold.thresholds[ID].max</c>, size_t.</summary>
    ThresholdMax,
    /// <summary><c>policy.dynamic_threshold.check_cnt</c>, unsigned int.</summary>
    CheckCount,
    /// <summary><c>policy.dynamic_threshold.trigger</c>, float.</summary>
    Trigger,
    /// <summary><c>policy.dynamic_threshold.degree</c>, float.</summary>
    Degree,
}

/// <summary>
/// Reads the names of memkind's <c>memtier_ctl_set</c> (src/memkind_memtier.c, builder_dynamic_ctl_set). Names are
/// exact: memkind's sscanf patterns also let through blanks or a sign inside the brackets and text after a blank at
/// the end, which no documented name has.
/// </summary>
internal static class MemtierCtlName
{
    private const string Prefix = "policy.dynamic_threshold.";
    private const string Thresholds = "thresholds[";

    /// <summary>The parameter <paramref name="name"/> names and, for a threshold's, its ID; false for any other text.</summary>
    public static bool TryParse(string name, out MemtierParameter parameter, out int index)
    {
        parameter = default;
        index = -1;
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        string rest = name[Prefix.Length..];
        switch (rest)
        {
            case "check_cnt": parameter = MemtierParameter.CheckCount; return true;
            case "trigger": parameter = MemtierParameter.Trigger; return true;
            case "degree": parameter = MemtierParameter.Degree; return true;
        }
        if (!rest.StartsWith(Thresholds, StringComparison.Ordinal)) return false;
        rest = rest[Thresholds.Length..];
        int close = rest.IndexOf("].", StringComparison.Ordinal);
        if (close <= 0 || rest.AsSpan(0, close).ContainsAnyExceptInRange('0', '9')
            || !int.TryParse(rest.AsSpan(0, close), NumberStyles.None, CultureInfo.InvariantCulture, out index))
        {
            index = -1;
            return false;
        }
        switch (rest[(close + 2)..])
        {
            case "val": parameter = MemtierParameter.ThresholdValue; return true;
            case "min": parameter = MemtierParameter.ThresholdMin; return true;
            case "max": parameter = MemtierParameter.ThresholdMax; return true;
            default: index = -1; return false;
        }
    }
}
