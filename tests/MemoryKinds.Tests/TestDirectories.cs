namespace MemoryKinds.Tests;

/// <summary>The directories the tests run kinds in: a fresh directory on ext4 (/tmp) and one on tmpfs (/dev/shm), removed at exit.</summary>
public static class TestDirectories
{
    private static readonly Lazy<string> s_ext4 = new(() => Make("/tmp"));
    private static readonly Lazy<string> s_tmpfs = new(() => Make("/dev/shm"));

    public static string Ext4 => s_ext4.Value;
    public static string Tmpfs => s_tmpfs.Value;

    /// <summary>Both directories, for [MemberData] theories: each test runs once per file system.</summary>
    public static TheoryData<string> Both => new() { "ext4", "tmpfs" };

    public static string Get(string fileSystem) => fileSystem switch
    {
        "ext4" => Ext4,
        "tmpfs" => Tmpfs,
        _ => throw new ArgumentOutOfRangeException(nameof(fileSystem), fileSystem, null),
    };

    private static string Make(string root)
    {
        if (!Directory.Exists(root)) throw new InvalidOperationException($"Test root {root} does not exist on this machine; these tests need it.");
        string path = Path.Combine(root, $"memkinds-tests-{Environment.ProcessId}");
        Directory.CreateDirectory(path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(path, true); } catch (IOException) { } };
        return path;
    }
}
