using System.Diagnostics;

/// <summary>
/// Threads kept for the whole placement part, each running its share of a slice when asked and timing its own loop,
/// so thread start and wake-up are outside the times.
/// </summary>
internal sealed class SliceThreads : IDisposable
{
    private readonly Barrier _barrier;
    private readonly Thread[] _threads;
    private readonly long[] _ticks;
    private Action<int>? _work;
    private volatile bool _stop;

    public SliceThreads(int count)
    {
        _barrier = new Barrier(count + 1);
        _ticks = new long[count];
        _threads = [.. Enumerable.Range(0, count).Select(i => new Thread(() => Loop(i)) { IsBackground = true, Name = $"placement-{count}-{i}" })];
        foreach (Thread thread in _threads) thread.Start();
    }

    public int Count => _threads.Length;

    /// <summary>Runs <paramref name="work"/>(thread index) on every thread at once; returns the mean of the threads' own Stopwatch ticks.</summary>
    public double Run(Action<int> work)
    {
        _work = work;
        _barrier.SignalAndWait(); // start
        _barrier.SignalAndWait(); // all done
        return _ticks.Average();
    }

    private void Loop(int index)
    {
        while (true)
        {
            _barrier.SignalAndWait();
            if (_stop) return;
            long start = Stopwatch.GetTimestamp();
            _work!(index);
            _ticks[index] = Stopwatch.GetTimestamp() - start;
            _barrier.SignalAndWait();
        }
    }

    public void Dispose()
    {
        _stop = true;
        _barrier.SignalAndWait();
        foreach (Thread thread in _threads) thread.Join();
        _barrier.Dispose();
    }
}
