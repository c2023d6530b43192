using System.Numerics;

namespace MemoryKinds.Native.Abi;

/// <summary>
/// A count of bytes that threads add to in stripes of their own (one cache line each) and that readers sum, so that
/// threads allocating from one kind at once do not fight over one line. Exact once the writers are quiet.
/// </summary>
internal sealed class StripedCounter
{
    /// <summary>Longs per stripe: a 64-byte line plus a line of padding, since the array itself is not line-aligned.</summary>
    private const int Stride = 16;

    [ThreadStatic] private static int t_stripe;
    private static int s_lastStripe;

    private readonly long[] _slots;
    private readonly int _mask;

    public StripedCounter()
    {
        int stripes = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount, 1, 64));
        _mask = stripes - 1;
        _slots = new long[stripes * Stride];
    }

    /// <summary>Adds <paramref name="bytes"/> (negative to subtract) in the calling thread's stripe.</summary>
    public void Add(long bytes)
    {
        int stripe = t_stripe;
        // Threads draw consecutive numbers, so the first threads land on distinct stripes.
        if (stripe == 0) t_stripe = stripe = Interlocked.Increment(ref s_lastStripe);
        Interlocked.Add(ref _slots[(stripe & _mask) * Stride], bytes);
    }

    /// <summary>The sum over all stripes.</summary>
    public long Sum()
    {
        long sum = 0;
        for (int i = 0; i < _slots.Length; i += Stride) sum += Volatile.Read(ref _slots[i]);
        return sum;
    }
}
