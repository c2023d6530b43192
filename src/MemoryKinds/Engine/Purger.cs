namespace MemoryKinds.Engine;

/// <summary>
/// One timer for the process: once a second it lets every kind with work due reclaim cached pages and give back the
/// storage of spans free longer than <see cref="KindHeap.PurgeDelayMs"/>. This is what makes the default policy return
/// space within seconds even when the program makes no further call.
/// </summary>
internal static class Purger
{
    private const int PeriodMs = 1000;
    private static Timer? s_timer;

    public static void EnsureStarted()
    {
        if (Volatile.Read(ref s_timer) is not null) return;
        var timer = new Timer(static _ => Run(), null, Timeout.Infinite, Timeout.Infinite);
        if (Interlocked.CompareExchange(ref s_timer, timer, null) is null) timer.Change(PeriodMs, PeriodMs);
        else timer.Dispose();
    }

    private static void Run()
    {
        long now = Environment.TickCount64;
        foreach (KindHeap heap in KindRegistry.Snapshot())
        {
            try
            {
                heap.Tick(now);
            }
            catch (ObjectDisposedException)
            {
                // Disposed between the snapshot and the tick: nothing left to purge.
            }
        }
    }
}
