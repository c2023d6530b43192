using System.Runtime.CompilerServices;
using MemoryKinds.Engine;

namespace MemoryKinds;

/// <summary>
/// The bytes each tier holds, counted in one stripe per live thread and summed on reading. A stripe has a single writer,
/// its thread, so updates are plain stores, not locked instructions (which cost more than the rest of a placement), and
/// no two threads share a cache line. The sums are exact once the threads are quiet; during concurrent updates they are
/// a sum of each stripe at some moment.
/// </summary>
/// <remarks>
/// A thread's stripe is picked by the engine's number for it (<see cref="ThreadHeaps.CurrentThreadNumber"/>): running
/// threads' numbers differ, and a number passes to a new thread only after its thread has ended (see
/// <see cref="ThreadNumbers"/>), so the new thread inherits the stripe's counts (still part of the sums) and is its only
/// writer from then on; numbers stay as few as the threads alive at once, and so do the stripes. Stripes come in chunks
/// that never move; the chunk table grows by copying under a lock, and a writer holding the old table still writes into
/// the same chunks.
/// </remarks>
internal sealed unsafe class TierCounters
{
    /// <summary>Longs in a 64-byte cache line.</summary>
    private const int LineLongs = 8;

    /// <summary>Stripes per chunk (thread numbers start at 1 and stay as few as the threads alive at once).</summary>
    private const int ChunkShift = 4;
    private const int ChunkMask = (1 << ChunkShift) - 1;

    /// <summary>
    /// How many <see cref="RefreshNear"/> calls of a stripe read its copy of the other stripes before it is read again.
    /// Each refresh misses on every line another busy thread writes, and that thread misses again on its next write:
    /// at 64, two threads' StaticRatio pairs took 22 ns against 15.5 at one thread; at 256, 16 ns (mix 36 -> 28 ns), the
    /// DRAM share unchanged at 20.0%.
    /// </summary>
    internal const int RefreshEvery = 256;

    private readonly Lock _growLock = new();
    private readonly int _tiers;
    private readonly int _stride;
    private readonly int _period;
    private long[]?[] _chunks;

    /// <param name="tiers">How many tiers to count bytes for.</param>
    /// <param name="period">What each stripe's allocation countdown starts from (see <see cref="CountDown"/>).</param>
    public TierCounters(int tiers, int period)
    {
        _tiers = tiers;
        _period = period;
        // A stripe holds one long per tier, the stripe's allocation countdown, the countdown to its next read of the other
        // stripes, its copy of their sums (one per tier) and DynamicThreshold's last difference per pair of tiers, rounded
        // up to whole lines, then one line of padding: an array is not line-aligned, so the padding keeps two stripes'
        // used longs off a shared line.
        _stride = ((3 * tiers + 1 + LineLongs - 1) / LineLongs + 1) * LineLongs;
        _chunks = new long[]?[4];
        _chunks[0] = NewChunk();
    }

    /// <summary>Adds <paramref name="bytes"/> (negative to subtract) to <paramref name="tier"/> in this thread's stripe.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(int tier, long bytes) => Add(ref Own(0), tier, bytes);

    /// <summary>
    /// Adds <paramref name="bytes"/> to <paramref name="tier"/> in <paramref name="stripe"/>, the calling thread's
    /// (<see cref="OwnStripe"/>): a placement looks its stripe up once for the policy, the count and the check.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ref long stripe, int tier, long bytes)
    {
        ref long count = ref Unsafe.Add(ref stripe, tier);
        Volatile.Write(ref count, count + bytes);
    }

    /// <summary>The calling thread's stripe, which only this thread writes (valid for as long as it is held: chunks never move).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref long OwnStripe() => ref Own(0);

    /// <summary>
    /// The stripe of the calling thread when its engine table, already looked up, is <paramref name="table"/> (null
    /// before the thread's first allocation: then the number is looked up, which gives the thread a table).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref long StripeOf(HeapTable* table) => ref table != null ? ref Stripe(table->Number, 0) : ref Own(0);

    /// <summary>
    /// Counts one allocation down in <paramref name="stripe"/>, the calling thread's; true once every <c>period</c> (the
    /// constructor's) allocations of the stripe (a countdown, not a division, on the hot path).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool CountDown(ref long stripe)
    {
        ref long left = ref Unsafe.Add(ref stripe, _tiers);
        if (--left > 0) return false;
        left = _period;
        return true;
    }

    /// <summary>The bytes <paramref name="tier"/> holds: the sum over all stripes.</summary>
    public long Sum(int tier)
    {
        long sum = 0;
        foreach (long[]? chunk in Volatile.Read(ref _chunks))
        {
            if (chunk is null) continue;
            for (int i = tier; i < chunk.Length; i += _stride) sum += Volatile.Read(ref chunk[i]);
        }
        return sum;
    }

    /// <summary>
    /// Brings the copy of the other stripes' sums in <paramref name="stripe"/> (the calling thread's) up to date when it
    /// is due: the stripe's own bytes of tier <c>i</c> are at offset <c>i</c>, the others' (as last read, at most
    /// <see cref="RefreshEvery"/> calls ago) at <see cref="OthersOffset"/> + <c>i</c>. Reading every stripe on every
    /// allocation made each one wait for the line another core had just written (a StaticRatio pair cost 330 ns at two
    /// threads); a single thread's own counts are always exact.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void RefreshNear(ref long stripe)
    {
        // The countdown inline (StaticRatio runs it on every placement), the reading of every stripe out of line.
        ref long refresh = ref Unsafe.Add(ref stripe, _tiers + 1);
        if (--refresh > 0) return;
        Refresh(ref stripe);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Refresh(ref long stripe)
    {
        Unsafe.Add(ref stripe, _tiers + 1) = RefreshEvery;
        for (int tier = 0; tier < _tiers; tier++) Unsafe.Add(ref stripe, OthersOffset + tier) = Sum(tier) - Unsafe.Add(ref stripe, tier);
    }

    /// <summary>Where a stripe's copy of the other stripes' sums starts (see <see cref="RefreshNear"/>).</summary>
    public int OthersOffset => _tiers + 2;

    /// <summary>
    /// Where a stripe's longs for its thread's own state of each pair of adjacent tiers start (DynamicThreshold's last
    /// difference), one per pair: only that thread reads and writes them.
    /// </summary>
    public int PairStateOffset => 2 * _tiers + 2;

    /// <summary>
    /// Writes into <paramref name="sums"/> every tier's bytes as <see cref="RefreshNear"/> has them and returns their
    /// total; <paramref name="stripe"/> is the calling thread's (<see cref="OwnStripe"/>, <see cref="StripeOf"/>).
    /// </summary>
    public long SumAllNear(ref long stripe, Span<long> sums)
    {
        RefreshNear(ref stripe);
        long total = 0;
        for (int tier = 0; tier < sums.Length; tier++)
        {
            sums[tier] = Unsafe.Add(ref stripe, tier) + Unsafe.Add(ref stripe, OthersOffset + tier);
            total += sums[tier];
        }
        return total;
    }

    /// <summary>Writes every tier's sum into <paramref name="sums"/> (one per tier) and returns their total.</summary>
    public long SumAll(Span<long> sums)
    {
        long total = 0;
        for (int tier = 0; tier < sums.Length; tier++)
        {
            long sum = Sum(tier);
            sums[tier] = sum;
            total += sum;
        }
        return total;
    }

    /// <summary>Long <paramref name="offset"/> of the calling thread's stripe, which only this thread writes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref long Own(int offset) => ref Stripe(ThreadHeaps.CurrentThreadNumber(), offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref long Stripe(int number, int offset)
    {
        long[]?[] chunks = Volatile.Read(ref _chunks);
        int index = number >> ChunkShift;
        long[]? chunk = (uint)index < (uint)chunks.Length ? chunks[index] : null;
        chunk ??= AddChunk(index);
        return ref chunk[(number & ChunkMask) * _stride + offset];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long[] AddChunk(int index)
    {
        lock (_growLock)
        {
            long[]?[] chunks = _chunks;
            if (index >= chunks.Length)
            {
                long[]?[] grown = new long[]?[Math.Max(index + 1, 2 * chunks.Length)];
                Array.Copy(chunks, grown, chunks.Length);
                chunks = grown;
            }
            long[] chunk = chunks[index] ?? NewChunk();
            // Filled before it is published: a reader summing the table sees the chunk whole or not at all.
            Volatile.Write(ref chunks[index], chunk);
            Volatile.Write(ref _chunks, chunks);
            return chunk;
        }
    }

    private long[] NewChunk()
    {
        var chunk = new long[(ChunkMask + 1) * _stride];
        for (int i = _tiers; i < chunk.Length; i += _stride) chunk[i] = _period;
        return chunk;
    }
}
