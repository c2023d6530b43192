using System.Text;

/// <summary>The report: each line printed as it is made and kept for the results file.</summary>
internal static class Output
{
    public static void Line(StringBuilder report, string line)
    {
        Console.WriteLine(line);
        report.AppendLine(line);
    }
}
