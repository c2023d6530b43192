using System.Runtime.InteropServices;
using MemoryKinds.Native.Abi;

namespace MemoryKinds.Native.Exports;

/// <summary>memkind_config: a plain malloc'ed struct that programs may also read and write directly, as in memkind.</summary>
internal static unsafe class ConfigExports
{
    /// <summary>Unlike memkind's (uninitialized) config, this one starts as {NULL, 0, DEFAULT}; NULL when malloc fails.</summary>
    [UnmanagedCallersOnly(EntryPoint = "memkind_config_new")]
    public static ConfigStruct* New()
    {
        var cfg = (ConfigStruct*)Libc.Malloc((nuint)sizeof(ConfigStruct));
        if (cfg != null) *cfg = default;
        return cfg;
    }

    [UnmanagedCallersOnly(EntryPoint = "memkind_config_delete")]
    public static void Delete(ConfigStruct* cfg) => Libc.Free(cfg);

    [UnmanagedCallersOnly(EntryPoint = "memkind_config_set_path")]
    public static void SetPath(ConfigStruct* cfg, byte* pmemDir)
    {
        if (cfg == null) Misuse.Report("memkind_config_set_path", "cfg is NULL; nothing was done");
        else cfg->PmemDir = pmemDir;
    }

    [UnmanagedCallersOnly(EntryPoint = "memkind_config_set_size")]
    public static void SetSize(ConfigStruct* cfg, nuint pmemSize)
    {
        if (cfg == null) Misuse.Report("memkind_config_set_size", "cfg is NULL; nothing was done");
        else cfg->PmemSize = pmemSize;
    }

    [UnmanagedCallersOnly(EntryPoint = "memkind_config_set_memory_usage_policy")]
    public static void SetMemoryUsagePolicy(ConfigStruct* cfg, int policy)
    {
        if (cfg == null) Misuse.Report("memkind_config_set_memory_usage_policy", "cfg is NULL; nothing was done");
        else cfg->Policy = policy;
    }
}
