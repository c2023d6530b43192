using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace MemoryKinds.Tests.Reliability;

/// <summary>
/// Runs tests/MemoryKinds.FaultHost (built by the test project through a ProjectReference that does not reference
/// its assembly) as a child process: `dotnet MemoryKinds.FaultHost.dll SCENARIO ARGS...`, optionally behind a wrapper
/// (bash with ulimit, setpriv). A scenario ends with "PASS" (exit 0) or "FAIL: why" (exit 1); death by a signal shows
/// as exit code 128+signal.
/// </summary>
public sealed class FaultHost : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly List<string> _seen = [];
    private readonly StringBuilder _all = new();
    private readonly StringBuilder _stderr = new();
    private readonly string _commandLine;

    private FaultHost(Process process, string commandLine)
    {
        _process = process;
        _commandLine = commandLine;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) { _lines.CompleteAdding(); return; }
            lock (_all) _all.AppendLine(e.Data);
            _lines.Add(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    /// <summary>The path of MemoryKinds.FaultHost.dll for the configuration the tests were built in.</summary>
    public static string DllPath
    {
        get
        {
            // The tests run from tests/MemoryKinds.Tests/bin/CONFIG/TFM/; the host builds to tests/MemoryKinds.FaultHost/bin/CONFIG/TFM/.
            var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            string tfm = baseDir.Name, config = baseDir.Parent!.Name;
            string? testsDir = baseDir.Parent?.Parent?.Parent?.Parent?.FullName;
            string candidate = Path.Combine(testsDir ?? "", "MemoryKinds.FaultHost", "bin", config, tfm, "MemoryKinds.FaultHost.dll");
            if (File.Exists(candidate)) return candidate;
            string beside = Path.Combine(AppContext.BaseDirectory, "MemoryKinds.FaultHost.dll");
            if (File.Exists(beside)) return beside;
            Assert.Fail($"MemoryKinds.FaultHost.dll was not found at {candidate} (nor beside the tests). Build the solution or the test project, which builds it through its ProjectReference.");
            return "";
        }
    }

    /// <summary>Starts a scenario; <paramref name="wrapper"/> (e.g. ["bash", "-c", "ulimit -f 8192; exec \"$0\" \"$@\""]) goes in front of `dotnet DLL`.</summary>
    public static FaultHost Start(string scenario, IEnumerable<string> arguments, string[]? wrapper = null, string? dll = null, IDictionary<string, string>? environment = null)
    {
        var command = new List<string>();
        if (wrapper is not null) command.AddRange(wrapper);
        command.Add("dotnet");
        command.Add(dll ?? DllPath);
        command.Add(scenario);
        command.AddRange(arguments);
        var info = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string argument in command.Skip(1)) info.ArgumentList.Add(argument);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        if (environment is not null) foreach ((string key, string value) in environment) info.Environment[key] = value;
        Process process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the fault host.");
        process.StandardInput.Close();
        return new FaultHost(process, string.Join(' ', command));
    }

    /// <summary>Runs a scenario to its end and returns (exit code, stdout+stderr).</summary>
    public static (int ExitCode, string Output) Run(string scenario, IEnumerable<string> arguments, string[]? wrapper = null, string? dll = null, IDictionary<string, string>? environment = null, int timeoutSeconds = 120)
    {
        using FaultHost host = Start(scenario, arguments, wrapper, dll, environment);
        return host.WaitForExit(timeoutSeconds);
    }

    /// <summary>Runs a scenario and asserts it printed PASS and exited 0; returns its output.</summary>
    public static string RunAndAssertPass(string scenario, params string[] arguments) => AssertPassed(scenario, Run(scenario, arguments));

    public static string AssertPassed(string scenario, (int ExitCode, string Output) result)
    {
        Assert.True(result.ExitCode == 0 && result.Output.Contains("\nPASS", StringComparison.Ordinal),
            $"Fault scenario '{scenario}' {Describe(result.ExitCode)}. Its output:\n{result.Output}");
        return result.Output;
    }

    public static string Describe(int exitCode) => exitCode switch
    {
        0 => "exited 0 without printing PASS",
        1 => "reported a failure (exit code 1)",
        > 128 and < 160 => $"was killed by signal {exitCode - 128} (exit code {exitCode}){(exitCode == 134 ? " — SIGABRT, which is how .NET dies after a SIGBUS/SIGSEGV (\"Fatal error\")" : exitCode == 153 ? " — SIGXFSZ" : exitCode == 135 ? " — SIGBUS" : exitCode == 139 ? " — SIGSEGV" : "")}",
        _ => $"exited with code {exitCode}",
    };

    /// <summary>The first stdout line starting with <paramref name="prefix"/> (printed already or waited for); fails the test if the host ends or the time runs out.</summary>
    public string WaitForLine(string prefix, int timeoutSeconds = 60)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(timeoutSeconds))
        {
            lock (_seen)
            {
                string? match = _seen.Find(l => l.StartsWith(prefix, StringComparison.Ordinal));
                if (match is not null) return match;
            }
            if (_lines.TryTake(out string? line, 200))
            {
                lock (_seen) _seen.Add(line);
            }
            else if (_lines.IsCompleted) break;
        }
        Assert.Fail($"The fault host ({_commandLine}) never printed a line starting with '{prefix}'. Output so far:\n{Output}");
        return "";
    }

    public string Output
    {
        get
        {
            lock (_all) lock (_stderr) return _all + (_stderr.Length > 0 ? "--- stderr ---\n" + _stderr : "");
        }
    }

    public (int ExitCode, string Output) WaitForExit(int timeoutSeconds = 120)
    {
        if (!_process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            _process.Kill();
            _process.WaitForExit();
            Assert.Fail($"The fault host ({_commandLine}) did not finish within {timeoutSeconds} s and was killed. Output:\n{Output}");
        }
        _process.WaitForExit(); // drains the output events
        return (_process.ExitCode, $"$ {_commandLine}\n{Output}");
    }

    /// <summary>kill -9 of the host process itself (not its children).</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
        _lines.Dispose();
    }
}
