/// <summary>Names a directory with its file system type, for the tables.</summary>
internal static class FileSystems
{
    /// <summary>The directory and its file system type, from /proc/mounts.</summary>
    public static string Describe(string directory)
    {
        string full = Path.GetFullPath(directory);
        string type = "?";
        int best = -1;
        foreach (string line in File.Exists("/proc/mounts") ? File.ReadLines("/proc/mounts") : [])
        {
            string[] fields = line.Split(' ');
            if (fields.Length < 3) continue;
            string mount = fields[1];
            bool covers = full == mount || full.StartsWith(mount.TrimEnd('/') + "/", StringComparison.Ordinal);
            if (covers && mount.Length > best)
            {
                best = mount.Length;
                type = fields[2];
            }
        }
        return $"{directory} ({type})";
    }
}
