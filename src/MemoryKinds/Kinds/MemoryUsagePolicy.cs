namespace MemoryKinds;

/// <summary>How eagerly a kind gives the storage of freed memory back (memkind's <c>memkind_mem_usage_policy</c>).</summary>
public enum MemoryUsagePolicy
{
    /// <summary>Speed first: threads cache pages; storage of freed pages is given back after a few seconds (within 10 s), even if the program makes no further call.</summary>
    Default = 0,

    /// <summary>Space first: one shared heap under a lock, and the storage of every page that empties is given back before <c>Free</c> returns.</summary>
    Conservative = 1,
}
