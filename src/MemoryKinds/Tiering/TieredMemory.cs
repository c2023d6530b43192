using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using MemoryKinds.Engine;

namespace MemoryKinds;

/// <summary>
/// Memory spread over several kinds (tiers, fastest first) by a <see cref="TierPolicy"/>: memkind's libmemtier
/// (<c>memtier_memory</c>). Each allocation is placed once; <see cref="MemoryKind.MoveTo"/> moves a block between tiers
/// afterwards. When the chosen tier is full the allocation goes to the next tier that can take it (counted as
/// <c>memorykinds.tier.fallbacks</c> on the <see cref="MemoryKind.MeterName"/> meter), so a bounded fast tier never makes
/// an allocation fail while another tier has room. All members are thread-safe.
/// </summary>
/// <remarks>
/// The bytes each tier holds are the usable sizes of the blocks this object placed there and has not freed, counted
/// exactly and per thread. <see cref="Free"/>, <see cref="Realloc"/> and <see cref="GetUsableSize"/> accept any live
/// block of a tier; a block of a tier's kind allocated around this object is taken too, and its free then subtracts
/// bytes this object never counted.
/// </remarks>
public sealed unsafe partial class TieredMemory : IDisposable
{
    private readonly MemoryKind[] _kinds;
    private readonly MemoryKind[] _owned;
    /// <summary>Each tier's first region, copied here so that finding a block's tier reads one array (see <see cref="TierOf"/>).</summary>
    private readonly (nuint Base, nuint Size)[] _firstRegions;
    private readonly TierCounters _counters;
    /// <summary>The StaticRatio policy, or null when <see cref="_dynamic"/> places (two fields rather than a virtual call on every placement).</summary>
    private readonly StaticRatioPlacement? _static;
    /// <summary>The placement when it is DynamicThreshold's, which checks after placing (StaticRatio has nothing to do then).</summary>
    private readonly DynamicThresholdPlacement? _dynamic;
    private volatile bool _disposed;

    private TieredMemory(TierPolicy policy, MemoryKind[] kinds, long[] ratios, ThresholdSettings thresholds, MemoryKind[] owned)
    {
        Policy = policy;
        _kinds = kinds;
        _owned = owned;
        _firstRegions = Array.ConvertAll(kinds, kind => kind.FirstRegion);
        _counters = new TierCounters(kinds.Length, thresholds.CheckCount);
        if (policy == TierPolicy.StaticRatio) _static = new StaticRatioPlacement(_counters, ratios);
        else _dynamic = new DynamicThresholdPlacement(_counters, ratios, thresholds);
        Kinds = Array.AsReadOnly(kinds);
    }

    /// <summary>Creates tiered memory over kinds the caller owns (<see cref="Dispose"/> leaves them alive).</summary>
    /// <param name="policy">How allocations are placed; <see cref="TierPolicy.DynamicThreshold"/> with memkind's default thresholds.</param>
    /// <param name="tiers">The tiers, first (fastest) first, each with its ratio: the tiers' bytes are meant to be in the proportion of the ratios.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tiers"/> or one of its kinds is null.</exception>
    /// <exception cref="ArgumentException">No tiers, a kind given twice, or <see cref="TierPolicy.DynamicThreshold"/> with fewer than two tiers.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A ratio is not positive, or <paramref name="policy"/> is not defined.</exception>
    public static TieredMemory Create(TierPolicy policy, params (MemoryKind Kind, int Ratio)[] tiers)
    {
        (MemoryKind[] kinds, long[] ratios) = Split(tiers);
        return Build(policy, kinds, ratios, ThresholdSettings.For(kinds.Length), owned: []);
    }

    /// <summary>
    /// Creates <see cref="TierPolicy.DynamicThreshold"/> tiered memory with the given thresholds and parameters (memkind's
    /// <c>memtier_ctl_set</c>) over kinds the caller owns (<see cref="Dispose"/> leaves them alive).
    /// </summary>
    /// <param name="options">The thresholds (one per pair of adjacent tiers, or null for memkind's defaults), check count, trigger and degree.</param>
    /// <param name="tiers">The tiers, first (fastest) first, at least two, each with its ratio.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/>, <paramref name="tiers"/> or one of its kinds is null.</exception>
    /// <exception cref="ArgumentException">
    /// Fewer than two tiers, a kind given twice, or options memkind refuses: not one threshold per pair of tiers, a
    /// threshold outside its [min, max], a range that starts before the previous one ends, a negative trigger or degree,
    /// or a check count that is not positive.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">A ratio is not positive.</exception>
    public static TieredMemory Create(DynamicThresholdOptions options, params (MemoryKind Kind, int Ratio)[] tiers)
    {
        ArgumentNullException.ThrowIfNull(options);
        (MemoryKind[] kinds, long[] ratios) = Split(tiers);
        return Build(TierPolicy.DynamicThreshold, kinds, ratios, ThresholdSettings.From(options, kinds.Length), owned: []);
    }

    private static (MemoryKind[] Kinds, long[] Ratios) Split((MemoryKind Kind, int Ratio)[] tiers)
    {
        ArgumentNullException.ThrowIfNull(tiers);
        var kinds = new MemoryKind[tiers.Length];
        var ratios = new long[tiers.Length];
        for (int i = 0; i < tiers.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(tiers[i].Kind, nameof(tiers));
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tiers[i].Ratio, nameof(tiers));
            kinds[i] = tiers[i].Kind;
            ratios[i] = tiers[i].Ratio;
        }
        return (kinds, ratios);
    }

    /// <summary>Checks the tiers and creates; ratios are positive already. Errors name "tiers" (or "options"), the parameters of the public callers.</summary>
    private static TieredMemory Build(TierPolicy policy, MemoryKind[] kinds, long[] ratios, ThresholdSettings thresholds, MemoryKind[] owned)
    {
        if (!Enum.IsDefined(policy)) throw new ArgumentOutOfRangeException(nameof(policy), policy, "Undefined tier policy.");
        if (kinds.Length == 0) throw new ArgumentException("Tiered memory needs at least one tier.", "tiers");
        if (policy == TierPolicy.DynamicThreshold && kinds.Length < 2)
            throw new ArgumentException("The DynamicThreshold policy places between two tiers or more, not one.", "tiers");
        if (policy == TierPolicy.DynamicThreshold && thresholds.Problem(kinds.Length) is { } problem)
            throw new ArgumentException($"Bad DynamicThreshold options: {problem}.", "options");
        for (int i = 0; i < kinds.Length; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (ReferenceEquals(kinds[i], kinds[j])) throw new ArgumentException($"The kind '{kinds[i].Name}' is given as two tiers.", "tiers");
            }
        }
        return new TieredMemory(policy, kinds, ratios, thresholds, owned);
    }

    /// <summary>The tiers' kinds, first tier first.</summary>
    public IReadOnlyList<MemoryKind> Kinds { get; }

    /// <summary>How allocations are placed.</summary>
    public TierPolicy Policy { get; }

    /// <summary>The current first size threshold of <see cref="TierPolicy.DynamicThreshold"/> (null for other policies), for tests and diagnostics.</summary>
    internal nuint? Threshold => ThresholdAt(0);

    /// <summary>The current threshold after tier <paramref name="pair"/> of <see cref="TierPolicy.DynamicThreshold"/> (null for other policies).</summary>
    internal nuint? ThresholdAt(int pair) => _dynamic?.ThresholdAt(pair);

    /// <summary>Allocates <paramref name="size"/> bytes in the tier the policy picks, or the next one with room.</summary>
    /// <exception cref="OutOfMemoryException">No tier can give that much.</exception>
    /// <exception cref="ObjectDisposedException">This object or a tier's kind is disposed.</exception>
    public void* Alloc(nuint size)
    {
        void* p = Place(size, 0, zeroed: false);
        if (p == null) ThrowOutOfMemory(size);
        return p;
    }

    /// <summary>Allocates like <see cref="Alloc"/>, but returns null when no tier can give the bytes.</summary>
    /// <exception cref="ObjectDisposedException">This object or a tier's kind is disposed.</exception>
    public void* TryAlloc(nuint size) => Place(size, 0, zeroed: false);

    /// <summary>Allocates <paramref name="count"/> × <paramref name="size"/> zeroed bytes (memtier_calloc).</summary>
    /// <exception cref="OutOfMemoryException">The product overflows or no tier can give that much.</exception>
    /// <exception cref="ObjectDisposedException">This object or a tier's kind is disposed.</exception>
    public void* AllocZeroed(nuint count, nuint size)
    {
        void* p = TryAllocZeroed(count, size);
        if (p == null) ThrowOutOfMemory(size != 0 && count > nuint.MaxValue / size ? nuint.MaxValue : count * size);
        return p;
    }

    /// <summary>Allocates zeroed memory like <see cref="AllocZeroed"/>, but returns null on overflow or when no tier can give the bytes.</summary>
    /// <exception cref="ObjectDisposedException">This object or a tier's kind is disposed.</exception>
    public void* TryAllocZeroed(nuint count, nuint size)
        => size != 0 && count > nuint.MaxValue / size ? null : Place(count * size, 0, zeroed: true);

    /// <summary>Allocates <paramref name="size"/> bytes aligned to <paramref name="alignment"/> (memtier_posix_memalign).</summary>
    /// <exception cref="ArgumentException"><paramref name="alignment"/> is not a power of two.</exception>
    /// <exception cref="OutOfMemoryException">No tier can give that much at that alignment.</exception>
    /// <exception cref="ObjectDisposedException">This object or a tier's kind is disposed.</exception>
    public void* AlignedAlloc(nuint size, nuint alignment)
    {
        void* p = TryAlignedAlloc(size, alignment);
        if (p == null) ThrowOutOfMemory(size);
        return p;
    }

    /// <summary>Allocates aligned memory like <see cref="AlignedAlloc"/>, but returns null when no tier can give it.</summary>
    /// <exception cref="ArgumentException"><paramref name="alignment"/> is not a power of two.</exception>
    /// <exception cref="ObjectDisposedException">This object or a tier's kind is disposed.</exception>
    public void* TryAlignedAlloc(nuint size, nuint alignment)
    {
        if (!System.Numerics.BitOperations.IsPow2(alignment))
            throw new ArgumentException($"The alignment {alignment} is not a power of two.", nameof(alignment));
        return Place(size, alignment, zeroed: false);
    }

    /// <summary>
    /// Resizes a block within its tier, as memtier_realloc does; when that tier is full the block moves to the next tier
    /// that can hold the new size. A null <paramref name="ptr"/> allocates.
    /// </summary>
    /// <returns>The block, moved or not.</returns>
    /// <exception cref="ArgumentException"><paramref name="ptr"/> is not a live block of a tier.</exception>
    /// <exception cref="OutOfMemoryException">No tier can give that much; <paramref name="ptr"/> stays valid and unchanged.</exception>
    /// <exception cref="ObjectDisposedException">This object or a tier's kind is disposed.</exception>
    public void* Realloc(void* ptr, nuint size)
    {
        void* p = TryRealloc(ptr, size);
        if (p == null) ThrowOutOfMemory(size);
        return p;
    }

    /// <summary>Resizes a block like <see cref="Realloc"/>, but returns null when no tier can hold the new size (<paramref name="ptr"/> untouched and still valid).</summary>
    /// <exception cref="ArgumentException"><paramref name="ptr"/> is not a live block of a tier.</exception>
    /// <exception cref="ObjectDisposedException">This object or a tier's kind is disposed.</exception>
    public void* TryRealloc(void* ptr, nuint size)
    {
        if (ptr == null) return TryAlloc(size);
        ObjectDisposedException.ThrowIf(_disposed, this);
        int tier = TierOf(ptr);
        MemoryKind kind = _kinds[tier];
        long old = (long)kind.GetUsableSize(ptr);
        void* p = kind.TryRealloc(ptr, size);
        ref long stripe = ref _counters.OwnStripe();
        if (p != null)
        {
            TierCounters.Add(ref stripe, tier, (long)kind.GetUsableSize(p) - old);
            _dynamic?.OnPlaced(ref stripe);
            return p;
        }
        for (int step = 1; step < _kinds.Length; step++)
        {
            int other = (tier + step) % _kinds.Length;
            void* moved = _kinds[other].TryAlloc(size);
            if (moved == null) continue;
            nuint keep = Math.Min((nuint)old, size);
            Buffer.MemoryCopy(ptr, moved, keep, keep);
            kind.Free(ptr);
            TierCounters.Add(ref stripe, tier, -old);
            TierCounters.Add(ref stripe, other, (long)_kinds[other].GetUsableSize(moved));
            TieringMetrics.RecordFallback(kind, _kinds[other]);
            _dynamic?.OnPlaced(ref stripe);
            return moved;
        }
        return null;
    }

    /// <summary>Frees a block of any tier; null does nothing.</summary>
    /// <exception cref="ArgumentException"><paramref name="ptr"/> is not a live block of a tier; nothing is changed.</exception>
    /// <exception cref="ObjectDisposedException">A tier's kind is disposed.</exception>
    public void Free(void* ptr)
    {
        if (ptr == null) return;
        // One lookup of the thread's engine table for the kind's heap and the counter stripe.
        HeapTable* table = ThreadHeaps.CurrentTable();
        int tier = TierOf(ptr);
        long usable = (long)_kinds[tier].FreeReturningUsableSize(table, ptr);
        TierCounters.Add(ref _counters.StripeOf(table), tier, -usable);
    }

    /// <summary>The usable size of a block of any tier; 0 for null.</summary>
    /// <exception cref="ArgumentException"><paramref name="ptr"/> is not a live block of a tier.</exception>
    /// <exception cref="ObjectDisposedException">A tier's kind is disposed.</exception>
    public nuint GetUsableSize(void* ptr) => ptr == null ? 0 : _kinds[TierOf(ptr)].GetUsableSize(ptr);

    /// <summary>The usable bytes of the blocks this object placed in <paramref name="kind"/>'s tier and has not freed.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="kind"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is not a tier of this object.</exception>
    public long AllocatedBytes(MemoryKind kind) => _counters.Sum(TierIndex(kind, nameof(kind)));

    /// <summary>Disposes the kinds <see cref="Parse"/> or <see cref="FromEnvironment"/> created; kinds given to <c>Create</c> stay alive. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (MemoryKind kind in _owned) kind.Dispose();
    }

    /// <summary>Places an allocation: the policy's tier first, then the tiers after it, wrapping around.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void* Place(nuint size, nuint alignment, bool zeroed)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // One lookup of the thread's engine table for the kind's heap and the counter stripe (for the policy, the count
        // and the check).
        HeapTable* table = ThreadHeaps.CurrentTable();
        ref long stripe = ref _counters.StripeOf(table);
        int tier = _dynamic is { } dynamic ? dynamic.Choose(size) : _static!.Choose(size, ref stripe);
        return PlaceIn(table, ref stripe, tier, size, alignment, zeroed);
    }

    /// <summary>Allocates in <paramref name="tier"/>, or the tiers after it when it is full, and counts the block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void* PlaceIn(HeapTable* table, ref long stripe, int tier, nuint size, nuint alignment, bool zeroed)
    {
        MemoryKind kind = _kinds[tier];
        void* p = AllocFrom(kind, table, size, alignment, zeroed, out nuint usable);
        if (p == null) return PlaceInNextTier(table, ref stripe, tier, size, alignment, zeroed);
        Count(ref stripe, tier, kind, p, usable);
        return p;
    }

    /// <summary>The chosen tier was full: the tiers after it, wrapping around, and the fallback counted on the meter.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void* PlaceInNextTier(HeapTable* table, ref long stripe, int chosen, nuint size, nuint alignment, bool zeroed)
    {
        for (int step = 1; step < _kinds.Length; step++)
        {
            int tier = (chosen + step) % _kinds.Length;
            MemoryKind kind = _kinds[tier];
            void* p = AllocFrom(kind, table, size, alignment, zeroed, out nuint usable);
            if (p == null) continue;
            TieringMetrics.RecordFallback(_kinds[chosen], kind);
            Count(ref stripe, tier, kind, p, usable);
            return p;
        }
        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Count(ref long stripe, int tier, MemoryKind kind, void* p, nuint usable)
    {
        // A plain block from the engine's fast path comes with its usable size (the page's block size); the rest are looked up.
        TierCounters.Add(ref stripe, tier, (long)(usable != 0 ? usable : kind.GetUsableSize(p)));
        _dynamic?.OnPlaced(ref stripe);
    }

    /// <summary>
    /// One allocation form in <paramref name="kind"/>, with the calling thread's engine <paramref name="table"/> for the
    /// plain one, which also gives the block's usable size when the engine knew it without a lookup (0 otherwise).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void* AllocFrom(MemoryKind kind, HeapTable* table, nuint size, nuint alignment, bool zeroed, out nuint usable)
    {
        if (!zeroed && alignment == 0) return kind.TryAllocWithTable(table, size, out usable);
        usable = 0;
        return zeroed ? kind.TryAllocZeroed(1, size) : kind.TryAlignedAlloc(size, alignment);
    }

    /// <summary>
    /// The tier whose kind owns <paramref name="ptr"/>: a range compare per tier for the kinds' first regions, else the
    /// O(1) address map of <see cref="MemoryKind.Detect"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int TierOf(void* ptr)
    {
        (nuint Base, nuint Size)[] regions = _firstRegions;
        for (int i = 0; i < regions.Length; i++)
        {
            if ((nuint)ptr - regions[i].Base < regions[i].Size) return i;
        }
        return TierByAddressMap(ptr);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int TierByAddressMap(void* ptr)
    {
        MemoryKind? owner = MemoryKind.Detect(ptr);
        MemoryKind[] kinds = _kinds;
        for (int i = 0; i < kinds.Length; i++)
        {
            if (ReferenceEquals(kinds[i], owner)) return i;
        }
        return ThrowNotATierBlock(ptr, owner);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static int ThrowNotATierBlock(void* ptr, MemoryKind? owner)
        => throw new ArgumentException(
            $"The pointer 0x{(nuint)ptr:x} is not a block of any tier of this tiered memory ({(owner is null ? "no kind owns it" : $"it belongs to the kind '{owner.Name}'")}).",
            nameof(ptr));

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowOutOfMemory(nuint size)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        throw new OutOfMemoryException($"No tier of the tiered memory ({string.Join(", ", Array.ConvertAll(_kinds, k => k.Name))}) can allocate {size} bytes.");
    }
}
