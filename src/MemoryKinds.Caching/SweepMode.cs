namespace MemoryKinds.Caching;

/// <summary>What a pass over a bucket removes.</summary>
internal enum SweepMode
{
    /// <summary>Expired entries only (the periodic scan).</summary>
    Expired,
    /// <summary>Expired entries and those whose recency has run down to 0; the others' recency goes down by one (the CLOCK hand).</summary>
    Clock,
    /// <summary>Every entry: the hand has gone round so often that the entries left are being read all the time, and the kind still has no room.</summary>
    Everything,
}
