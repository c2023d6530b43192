// Port of memkind's examples/pmem_config.c: a kind made from a configuration (memkind_config_new, set_path,
// set_size(32 MiB), set_memory_usage_policy(CONSERVATIVE), memkind_create_pmem_with_config), then destroyed.
// Usage: PmemWithConfig [directory] (default: the temp directory).
using MemoryKinds;

string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
Console.WriteLine($"{dir} is {(PmemKind.IsDax(dir) ? "" : "not ")}on a DAX file system.");

var config = new PmemConfig(dir)
{
    Size = 32L << 20,
    UsagePolicy = MemoryUsagePolicy.Conservative,
};
using (PmemKind kind = PmemKind.Create(config))
{
    Console.WriteLine($"Created {kind}: limit {kind.MaxSize >> 20} MiB, policy {kind.UsagePolicy}.");
    if (kind.MaxSize != 32L << 20 || kind.UsagePolicy != MemoryUsagePolicy.Conservative)
    {
        Console.Error.WriteLine("Unexpected result: the kind does not have the configured size or policy.");
        return 1;
    }
    unsafe
    {
        void* p = kind.Alloc(1u << 20);
        kind.Free(p);
    }
    // Conservative: the emptied page's space went back to the file system before Free returned.
    Console.WriteLine($"After a 1 MiB block was freed: {kind.GetStats()}, file bytes {kind.Source.StorageBytes}.");
}
// The configuration is a plain record: reuse it with changes, nothing to delete.
using (PmemKind unlimited = PmemKind.Create(config with { Size = 0, UsagePolicy = MemoryUsagePolicy.Default }))
    Console.WriteLine($"Created {unlimited} from the same configuration with no limit.");
Console.WriteLine("Memory was successfully allocated and released.");
return 0;
