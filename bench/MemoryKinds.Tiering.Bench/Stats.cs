using System.Globalization;

/// <summary>Medians and the formatting of the tables.</summary>
internal static class Stats
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        if (sorted.Length == 0) return double.NaN;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The median over rounds of <paramref name="a"/>[round] / <paramref name="b"/>[round]: each round's pair ran within moments of each other.</summary>
    public static double MedianRatio(IReadOnlyList<double> a, IReadOnlyList<double> b) => Median(a.Zip(b, (x, y) => x / y));

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1 << 20 => string.Format(Inv, "{0:F1} KiB", bytes / 1024.0),
        < 1 << 30 => string.Format(Inv, "{0:F1} MiB", bytes / 1048576.0),
        _ => string.Format(Inv, "{0:F2} GiB", bytes / 1073741824.0),
    };

    public static string F(double value, int digits = 2) => value.ToString("F" + digits, Inv);

    public static string Percent(double fraction) => (100 * fraction).ToString("F1", Inv) + "%";

    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
