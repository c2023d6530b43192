using System.Globalization;

namespace MemoryKinds;

/// <summary>
/// Reads memkind's MEMKIND_MEM_TIERS and MEMKIND_MEM_THRESHOLDS syntax (tiering/ctl.c): tiers separated by <c>;</c>, then
/// <c>POLICY:STATIC_RATIO|DYNAMIC_THRESHOLD</c>; a tier is <c>,</c>-separated <c>NAME:VALUE</c> parameters in any order:
/// <c>KIND:DRAM|FS_DAX|KMEM_DAX</c> and <c>RATIO:</c> (1 to 2^32−1) always, <c>PATH:</c> (required) and
/// <c>PMEM_SIZE_LIMIT:</c> (optional; 0 or at least 16 MiB; K, M, G suffixes) for FS_DAX only. Thresholds: <c>;</c>-separated,
/// each <c>,</c>-separated <c>INIT_VAL:</c>, <c>MIN_VAL:</c>, <c>MAX_VAL:</c> sizes, only for DYNAMIC_THRESHOLD and fewer than
/// the tiers. Names and values are case-sensitive, as memkind's. Every error is a <see cref="FormatException"/> naming
/// the token.
/// </summary>
internal static class TierStringParser
{
    private const string PolicyName = "POLICY";

    public static TierConfig Parse(string tiers, string? thresholds)
    {
        string[] queries = tiers.Split(';');
        if (queries.Length < 2)
            throw Bad(tiers, "MEMKIND_MEM_TIERS needs at least one tier and then POLICY:STATIC_RATIO or POLICY:DYNAMIC_THRESHOLD, separated by ';'");
        var specs = new List<TierSpec>(queries.Length - 1);
        for (int i = 0; i < queries.Length - 1; i++) specs.Add(ParseTier(queries[i]));
        TierPolicy policy = ParsePolicy(queries[^1]);
        ThresholdSettings settings = thresholds is null ? ThresholdSettings.For(specs.Count) : ParseThresholds(thresholds, policy, specs.Count);
        return new TierConfig(specs, policy, settings);
    }

    private static TierSpec ParseTier(string query)
    {
        if (query.Length == 0) throw Bad(query, "a tier is empty (two ';' in a row or a leading ';')");
        TierKindName? kind = null;
        string? path = null, limit = null, ratio = null;
        foreach (string parameter in query.Split(','))
        {
            (string name, string value) = SplitParameter(parameter, query);
            switch (name)
            {
                case "KIND": kind = Once(kind, ParseKind(value, parameter), parameter); break;
                case "PATH": path = Once(path, value, parameter); break;
                case "PMEM_SIZE_LIMIT": limit = Once(limit, value, parameter); break;
                case "RATIO": ratio = Once(ratio, value, parameter); break;
                case PolicyName: throw Bad(parameter, "POLICY must be the last ';'-separated part, given once");
                default: throw Bad(parameter, $"unknown parameter '{name}' (KIND, PATH, PMEM_SIZE_LIMIT or RATIO)");
            }
        }
        if (kind is null) throw Bad(query, "the tier has no KIND parameter");
        if (ratio is null) throw Bad(query, "the tier has no RATIO parameter");
        long parsedRatio = ParseRatio(ratio);
        if (kind != TierKindName.FsDax)
        {
            if (path is not null) throw Bad($"PATH:{path}", "PATH is a parameter of FS_DAX tiers only");
            if (limit is not null) throw Bad($"PMEM_SIZE_LIMIT:{limit}", "PMEM_SIZE_LIMIT is a parameter of FS_DAX tiers only");
            return new TierSpec(kind.Value, null, 0, parsedRatio);
        }
        if (path is null) throw Bad(query, "an FS_DAX tier needs a PATH parameter");
        long sizeLimit = limit is null ? 0 : ParseSizeLimit(limit);
        return new TierSpec(kind.Value, path, sizeLimit, parsedRatio);
    }

    private static TierPolicy ParsePolicy(string query)
    {
        (string name, string value) = SplitParameter(query, query);
        if (name != PolicyName) throw Bad(query, "the last ';'-separated part must be POLICY:STATIC_RATIO or POLICY:DYNAMIC_THRESHOLD");
        return value switch
        {
            "STATIC_RATIO" => TierPolicy.StaticRatio,
            "DYNAMIC_THRESHOLD" => TierPolicy.DynamicThreshold,
            _ => throw Bad(query, "unknown policy (STATIC_RATIO or DYNAMIC_THRESHOLD)"),
        };
    }

    private static ThresholdSettings ParseThresholds(string thresholds, TierPolicy policy, int tierCount)
    {
        if (policy != TierPolicy.DynamicThreshold) throw Bad(thresholds, "MEMKIND_MEM_THRESHOLDS is used only with POLICY:DYNAMIC_THRESHOLD");
        string[] queries = thresholds.Split(';');
        if (queries.Length >= tierCount) throw Bad(thresholds, $"too many thresholds: {tierCount} tiers have {tierCount - 1}");
        string query = queries[0];
        if (query.Length == 0) throw Bad(thresholds, "no threshold parameters (INIT_VAL, MIN_VAL, MAX_VAL)");
        string? initial = null, min = null, max = null;
        foreach (string parameter in query.Split(','))
        {
            (string name, string value) = SplitParameter(parameter, query);
            switch (name)
            {
                case "INIT_VAL": initial = Once(initial, value, parameter); break;
                case "MIN_VAL": min = Once(min, value, parameter); break;
                case "MAX_VAL": max = Once(max, value, parameter); break;
                default: throw Bad(parameter, $"unknown threshold parameter '{name}' (INIT_VAL, MIN_VAL or MAX_VAL)");
            }
        }
        ThresholdSettings settings = ThresholdSettings.For(tierCount).WithFirst(ParseThreshold(initial, "INIT_VAL"), ParseThreshold(min, "MIN_VAL"), ParseThreshold(max, "MAX_VAL"));
        string? problem = settings.Problem(tierCount);
        if (problem is not null) throw Bad(query, problem);
        return settings;
    }

    private static nuint? ParseThreshold(string? value, string name)
        => value is null ? null : (nuint)(ulong)ParseSize(value, $"{name}:{value}");

    private static (string Name, string Value) SplitParameter(string parameter, string query)
    {
        int colon = parameter.IndexOf(':');
        if (parameter.Length == 0) throw Bad(query, "an empty parameter (two ',' in a row, or a leading or trailing ',')");
        if (colon < 0) throw Bad(parameter, "a parameter is NAME:VALUE");
        string name = parameter[..colon], value = parameter[(colon + 1)..];
        if (value.Length == 0) throw Bad(parameter, $"the parameter '{name}' has no value");
        return (name, value);
    }

    private static T Once<T>(T? previous, T value, string parameter)
    {
        if (previous is not null) throw Bad(parameter, "the parameter is given twice");
        return value;
    }

    private static TierKindName ParseKind(string value, string parameter) => value switch
    {
        "DRAM" => TierKindName.Dram,
        "FS_DAX" => TierKindName.FsDax,
        "KMEM_DAX" => TierKindName.KmemDax,
        _ => throw Bad(parameter, "unknown kind (DRAM, FS_DAX or KMEM_DAX)"),
    };

    private static long ParseRatio(string value)
    {
        if (!IsDigits(value) || !uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint ratio) || ratio == 0)
            throw Bad($"RATIO:{value}", "a ratio is a whole number from 1 to 4294967295");
        return ratio;
    }

    private static long ParseSizeLimit(string value)
    {
        string token = $"PMEM_SIZE_LIMIT:{value}";
        ulong size = ParseSize(value, token);
        if (size != 0 && size < PmemKind.MinSize) throw Bad(token, $"a size limit is 0 (none) or at least {PmemKind.MinSize} bytes (16M)");
        // memkind takes any size_t; past what a long holds no file system is bounded anyway, so that means no limit.
        return size > long.MaxValue ? 0 : (long)size;
    }

    /// <summary>Digits with an optional K, M or G suffix (powers of 1024), within 64 bits.</summary>
    private static ulong ParseSize(string value, string token)
    {
        int shift = value[^1] switch { 'K' => 10, 'M' => 20, 'G' => 30, _ => 0 };
        string digits = shift == 0 ? value : value[..^1];
        if (!IsDigits(digits) || !ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out ulong size))
            throw Bad(token, "a size is a whole number of bytes, optionally with a K, M or G suffix, within 2^64 − 1");
        if (size > ulong.MaxValue >> shift) throw Bad(token, "the size is more than 2^64 − 1 bytes");
        return size << shift;
    }

    private static bool IsDigits(string s) => s.Length > 0 && s.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0;

    private static FormatException Bad(string token, string why) => new($"Bad tiering configuration at '{token}': {why}.");
}
