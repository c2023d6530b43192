using System.Runtime.CompilerServices;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// A small generator for a workload's own choices (Marsaglia's xorshift, scrambled by a multiply), a struct whose calls
/// inline: the workload's overhead, paid by every contender alike, stays small next to the allocator's.
/// </summary>
public struct FastRandom(ulong seed)
{
    private ulong _state = (seed + 1) * 0x9E3779B97F4A7C15UL;

    /// <summary>A number in [0, <paramref name="bound"/>), <paramref name="bound"/> positive (by multiplying, not dividing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Below(int bound)
    {
        ulong x = _state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        _state = x;
        ulong bits = (x * 0x2545F4914F6CDD1DUL) >> 32;
        return (int)((bits * (ulong)bound) >> 32);
    }
}
