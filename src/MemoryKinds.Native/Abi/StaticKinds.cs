namespace MemoryKinds.Native.Abi;

/// <summary>
/// memkind 1.14's 26 static kinds (the <c>MEMKIND_*</c> globals, by partition number). The library serves from DRAM
/// the ones memkind 1.14 reports available on a machine without high-bandwidth memory, DAX_KMEM nodes or huge pages
/// (DEFAULT, REGULAR, INTERLEAVE and the HIGHEST_CAPACITY family, each its own kind so memkind_detect_kind tells them
/// apart); the others answer memkind_check_available with the code memkind gives there, and allocate nothing.
/// </summary>
internal static class StaticKinds
{
    public const int Count = 26;
    public const int Default = 0, HugeTlb = 5, GbTlb = 8, Interleave = 10, Regular = 11;

    /// <summary>memkind_check_available per partition: 0, MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE (no HBM, no latency or
    /// bandwidth tiers), MEMKIND_ERROR_HUGETLB (no huge-page kinds) or MEMKIND_ERROR_UNAVAILABLE (no DAX_KMEM node).</summary>
    public static int Availability(int partition) => partition switch
    {
        Default or Interleave or Regular or >= 18 and <= 21 => ErrorCodes.Success,
        HugeTlb or 6 or 7 or GbTlb => ErrorCodes.Hugetlb,
        >= 14 and <= 17 => ErrorCodes.Unavailable,
        _ => ErrorCodes.MemtypeNotAvailable,
    };

    /// <summary>
    /// memkind_get_capacity per partition, as memkind computes it: the NUMA nodes' memory for the DRAM kinds that bind
    /// to nodes, the huge pages configured for HUGETLB, 0 for GBTLB, and -1 (not supported) for the rest.
    /// </summary>
    public static long Capacity(int partition) => partition switch
    {
        Default or Interleave or Regular or 18 or 20 => NodeMemory(),
        HugeTlb => HugePages(),
        GbTlb => 0,
        _ => -1,
    };

    /// <summary>The sum of the NUMA nodes' MemTotal (what libnuma's numa_node_size64 adds up), else /proc/meminfo's.</summary>
    private static long NodeMemory()
    {
        long total = 0;
        try
        {
            foreach (string node in Directory.EnumerateDirectories("/sys/devices/system/node", "node*"))
                if (File.Exists(node + "/meminfo")) total += KibField(File.ReadAllText(node + "/meminfo"), "MemTotal:");
        }
        catch (IOException) { total = 0; }
        catch (UnauthorizedAccessException) { total = 0; }
        return total > 0 ? total : KibField(File.ReadAllText("/proc/meminfo"), "MemTotal:");
    }

    /// <summary>(nr_hugepages + nr_overcommit_hugepages) × 2 MiB, memkind's figure for MEMKIND_HUGETLB.</summary>
    private static long HugePages()
    {
        static long Read(string path) => File.Exists(path) && long.TryParse(File.ReadAllText(path).Trim(), out long n) ? n : 0;
        return (Read("/proc/sys/vm/nr_hugepages") + Read("/proc/sys/vm/nr_overcommit_hugepages")) * (2L << 20);
    }

    private static long KibField(string text, string field)
    {
        int at = text.IndexOf(field, StringComparison.Ordinal);
        if (at < 0) return 0;
        ReadOnlySpan<char> rest = text.AsSpan(at + field.Length).TrimStart();
        int end = rest.IndexOf(' ');
        return long.TryParse(end < 0 ? rest : rest[..end], out long kib) ? kib * 1024 : 0;
    }
}
