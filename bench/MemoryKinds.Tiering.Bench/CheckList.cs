using System.Security;
using System.Text;

/// <summary>
/// The benchmark's correctness checks (never a timing): printed as they are made, counted for the exit code, and with
/// --junit written as JUnit XML, one test case each, which .ci/run counts with the other tests.
/// </summary>
internal sealed class CheckList
{
    private readonly List<(string Name, string? Failure)> _checks = [];

    public int Failed => _checks.Count(c => c.Failure is not null);

    public int Count => _checks.Count;

    /// <summary>Records a check: passed when <paramref name="failure"/> is null.</summary>
    public void Add(string name, string? failure)
    {
        _checks.Add((name, failure));
        Console.WriteLine(failure is null ? $"check passed: {name}" : $"CHECK FAILED: {name}: {failure}");
    }

    public void That(string name, bool holds, Func<string> why) => Add(name, holds ? null : why());

    public void WriteJUnit(string path)
    {
        var xml = new StringBuilder();
        xml.AppendLine("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        xml.AppendLine($"<testsuites><testsuite name=\"MemoryKinds.Tiering.Bench\" tests=\"{Count}\" failures=\"{Failed}\">");
        foreach ((string name, string? failure) in _checks)
        {
            xml.Append($"  <testcase classname=\"MemoryKinds.Tiering.Bench\" name=\"{SecurityElement.Escape(name)}\"");
            xml.AppendLine(failure is null ? " />" : $"><failure message=\"{SecurityElement.Escape(failure)}\" /></testcase>");
        }
        xml.AppendLine("</testsuite></testsuites>");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, xml.ToString());
    }
}
