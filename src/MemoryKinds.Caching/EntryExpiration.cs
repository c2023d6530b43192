using Microsoft.Extensions.Caching.Distributed;

namespace MemoryKinds.Caching;

/// <summary>The expiration rules of <see cref="DistributedCacheEntryOptions"/>, in UTC ticks.</summary>
internal static unsafe class EntryExpiration
{
    /// <summary>The absolute expiration of an entry that has none.</summary>
    public const long Never = long.MaxValue;

    /// <summary>
    /// The absolute expiration (the earlier of <see cref="DistributedCacheEntryOptions.AbsoluteExpiration"/> and now plus
    /// <see cref="DistributedCacheEntryOptions.AbsoluteExpirationRelativeToNow"/> when both are given) and the sliding
    /// window in ticks (0 for none).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The absolute expiration is not in the future.</exception>
    public static (long Absolute, long Sliding) From(DistributedCacheEntryOptions options, long now)
    {
        long absolute = Never;
        if (options.AbsoluteExpiration is DateTimeOffset at)
        {
            if (at.UtcTicks <= now)
                throw new ArgumentOutOfRangeException(nameof(options), at, "The absolute expiration must be in the future.");
            absolute = at.UtcTicks;
        }
        if (options.AbsoluteExpirationRelativeToNow is TimeSpan relative)
            absolute = Math.Min(absolute, AddSaturating(now, relative.Ticks)); // the options' setter keeps it positive
        return (absolute, options.SlidingExpiration?.Ticks ?? 0);
    }

    /// <summary>When the entry expires: its absolute expiration, or the end of its sliding window if that is earlier.</summary>
    public static long ExpiresAt(CacheEntry* entry)
        => entry->SlidingTicks == 0
            ? entry->AbsoluteExpiration
            : Math.Min(entry->AbsoluteExpiration, AddSaturating(entry->LastAccess, entry->SlidingTicks));

    /// <summary>Whether the entry has expired at <paramref name="now"/>. Under the entry's segment lock.</summary>
    public static bool IsExpired(CacheEntry* entry, long now) => now >= ExpiresAt(entry);

    private static long AddSaturating(long ticks, long delta) => delta > Never - ticks ? Never : ticks + delta;
}
