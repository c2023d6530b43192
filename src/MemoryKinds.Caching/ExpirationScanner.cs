namespace MemoryKinds.Caching;

/// <summary>Starts a scan for expired entries on the thread pool when the last one started at least the scan frequency ago.</summary>
internal sealed class ExpirationScanner
{
    private readonly EntryTable _table;
    private readonly TimeProvider _time;
    private readonly long _frequencyTicks;
    private long _lastScan;

    /// <summary>A scanner of <paramref name="table"/> that counts its first period from now.</summary>
    public ExpirationScanner(EntryTable table, TimeProvider time, TimeSpan frequency)
    {
        _table = table;
        _time = time;
        _frequencyTicks = frequency.Ticks;
        _lastScan = time.GetUtcNow().UtcTicks;
    }

    /// <summary>Starts a scan if one is due; only the thread that moves the last-scan time forward starts it.</summary>
    public void ScanIfDue(long now)
    {
        long last = Volatile.Read(ref _lastScan);
        if (now - last < _frequencyTicks || Interlocked.CompareExchange(ref _lastScan, now, last) != last) return;
        ThreadPool.UnsafeQueueUserWorkItem(static scanner => scanner.Scan(), this, preferLocal: false);
    }

    /// <summary>Removes expired entries; a scan that runs after the cache was disposed finds every segment closed and empty.</summary>
    private void Scan() => _table.RemoveExpired(_time.GetUtcNow().UtcTicks);
}
