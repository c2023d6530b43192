namespace MemoryKinds.AspNetCore;

/// <summary>Settings of a <see cref="KindMemoryPoolFactory"/>.</summary>
public sealed class KindMemoryPoolOptions
{
    /// <summary>
    /// How often the pools give idle blocks back to the kind: 10 seconds by default, as ASP.NET Core's own pool. Shorter
    /// returns memory sooner after a burst; longer keeps blocks through longer pauses.
    /// </summary>
    public TimeSpan EvictionInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock that drives eviction; <see cref="TimeProvider.System"/> by default (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
