using System.Globalization;

namespace MemoryKinds.Cli;

/// <summary>Parses and prints byte sizes ("64M", "1G", "4096", "512KiB").</summary>
internal static class Sizes
{
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        string s = text.Trim();
        int end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.')) end++;
        if (end == 0 || !double.TryParse(s.AsSpan(0, end), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)) return false;
        string unit = s[end..].Trim().ToUpperInvariant();
        if (unit.EndsWith("IB", StringComparison.Ordinal)) unit = unit[..^2];
        else if (unit.Length > 1 && unit.EndsWith('B')) unit = unit[..^1];
        int shift = unit switch
        {
            "" or "B" => 0,
            "K" => 10,
            "M" => 20,
            "G" => 30,
            "T" => 40,
            _ => -1,
        };
        if (shift < 0) return false;
        double result = value * Math.Pow(2, shift);
        if (result >= long.MaxValue || result != Math.Floor(result)) return false;
        bytes = (long)result;
        return true;
    }

    public static string Format(long bytes)
    {
        if (bytes < 1024) return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        string[] units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{value:0.##} {units[unit]}");
    }
}
