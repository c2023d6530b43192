namespace MemoryKinds.Caching;

/// <summary>Settings of a <see cref="KindDistributedCache"/>.</summary>
public sealed class KindDistributedCacheOptions
{
    private string? _name;
    private TimeProvider _timeProvider = TimeProvider.System;
    private TimeSpan _expirationScanFrequency = TimeSpan.FromMinutes(1);

    /// <summary>Settings for a cache whose entries and index live in <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="kind"/> is null.</exception>
    public KindDistributedCacheOptions(MemoryKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        Kind = kind;
    }

    /// <summary>The kind that holds the entries and the index. The cache does not own it: dispose the cache first.</summary>
    public MemoryKind Kind { get; }

    /// <summary>The name the cache's instruments are tagged with; the kind's name unless set.</summary>
    /// <exception cref="ArgumentException">Set to an empty string.</exception>
    public string Name
    {
        get => _name ?? Kind.Name;
        set
        {
            ArgumentException.ThrowIfNullOrEmpty(value);
            _name = value;
        }
    }

    /// <summary>The clock expiration is measured with; <see cref="TimeProvider.System"/> unless set (tests give a fake one).</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _timeProvider = value;
        }
    }

    /// <summary>
    /// The least time between two scans that remove every expired entry (a scan starts on the thread pool when a cache call
    /// finds the last one that long ago); 1 minute unless set. Expired entries are also removed when a get finds them and
    /// before anything else when the kind is full.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or less.</exception>
    public TimeSpan ExpirationScanFrequency
    {
        get => _expirationScanFrequency;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            _expirationScanFrequency = value;
        }
    }
}
