using MemoryKinds.Engine;

namespace MemoryKinds;

// Placing and moving by hand: the caller picks the tier, the counts follow.
public sealed unsafe partial class TieredMemory
{
    /// <summary>
    /// Allocates <paramref name="size"/> bytes in <paramref name="tier"/>, whatever the policy would pick, counted in that
    /// tier's <see cref="AllocatedBytes"/> like any placement (memkind's <c>memtier_kind_malloc</c>, for this object): a
    /// cache puts a hot key's new value straight into the fast tier. When that tier is full the next tier that can take
    /// it does, as for <see cref="Alloc"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="tier"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="tier"/> is not a tier of this object.</exception>
    /// <exception cref="OutOfMemoryException">No tier can give that much.</exception>
    /// <exception cref="ObjectDisposedException">This object or a tier's kind is disposed.</exception>
    public void* AllocIn(MemoryKind tier, nuint size)
    {
        void* p = TryAllocIn(tier, size);
        if (p == null) ThrowOutOfMemory(size);
        return p;
    }

    /// <summary>Allocates in <paramref name="tier"/> like <see cref="AllocIn"/>, but returns null when no tier can give the bytes.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="tier"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="tier"/> is not a tier of this object.</exception>
    /// <exception cref="ObjectDisposedException">This object or a tier's kind is disposed.</exception>
    public void* TryAllocIn(MemoryKind tier, nuint size)
    {
        int index = TierIndex(tier, nameof(tier));
        ObjectDisposedException.ThrowIf(_disposed, this);
        HeapTable* table = ThreadHeaps.CurrentTable();
        return PlaceIn(table, ref _counters.StripeOf(table), index, size, 0, zeroed: false);
    }

    /// <summary>
    /// Moves a block to another tier with <see cref="MemoryKind.MoveTo"/> (demoting cold data, promoting hot data) and
    /// moves its bytes in <see cref="AllocatedBytes"/> with it; calling <see cref="MemoryKind.MoveTo"/> on the tier's kind
    /// directly would leave the counts of both tiers wrong.
    /// </summary>
    /// <returns>The new block, <paramref name="ptr"/> when it is in <paramref name="target"/> already, or null when <paramref name="target"/> cannot take it (then <paramref name="ptr"/> is untouched).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="target"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="ptr"/> is not a live block of a tier, or <paramref name="target"/> is not a tier.</exception>
    /// <exception cref="ObjectDisposedException">A tier's kind is disposed.</exception>
    public void* MoveTo(void* ptr, MemoryKind target)
    {
        int to = TierIndex(target, nameof(target));
        int from = TierOf(ptr);
        MemoryKind kind = _kinds[from];
        long old = (long)kind.GetUsableSize(ptr);
        void* moved = kind.MoveTo(ptr, target);
        if (moved == null || from == to) return moved;
        _counters.Add(from, -old);
        _counters.Add(to, (long)target.GetUsableSize(moved));
        return moved;
    }

    /// <summary>The index of <paramref name="kind"/> among the tiers.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="kind"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is not a tier.</exception>
    private int TierIndex(MemoryKind kind, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(kind, parameterName);
        int index = Array.IndexOf(_kinds, kind);
        return index >= 0 ? index : throw new ArgumentException($"The kind '{kind.Name}' is not a tier of this tiered memory.", parameterName);
    }
}
