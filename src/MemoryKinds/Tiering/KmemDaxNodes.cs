namespace MemoryKinds;

/// <summary>
/// Whether the machine has a KMEM_DAX node: a NUMA node with memory and no CPUs, as persistent memory or CXL memory
/// onlined as system RAM appears (memkind's MEMKIND_DAX_KMEM kind allocates there).
/// </summary>
internal static class KmemDaxNodes
{
    private const string NodeDirectory = "/sys/devices/system/node";

    /// <summary>Why a KMEM_DAX tier cannot be made here, naming the memory-only nodes if there are any.</summary>
    public static string Describe()
    {
        HashSet<int> memoryOnly = ReadNodeList("has_memory");
        memoryOnly.ExceptWith(ReadNodeList("has_cpu"));
        return memoryOnly.Count == 0
            ? $"this machine has no memory-only NUMA node ({NodeDirectory}/has_memory minus has_cpu is empty)."
            : $"this machine has memory-only NUMA node(s) {string.Join(",", memoryOnly.Order())}, but MemoryKinds has no kind bound to a NUMA node yet.";
    }

    /// <summary>Reads a node list such as <c>0-2,4</c>; empty when the file is missing (no NUMA support).</summary>
    private static HashSet<int> ReadNodeList(string file)
    {
        var nodes = new HashSet<int>();
        string path = Path.Combine(NodeDirectory, file);
        if (!File.Exists(path)) return nodes;
        foreach (string range in File.ReadAllText(path).Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] ends = range.Split('-');
            if (!int.TryParse(ends[0], out int first) || !int.TryParse(ends[^1], out int last)) continue;
            for (int node = first; node <= last; node++) nodes.Add(node);
        }
        return nodes;
    }
}
