namespace MemoryKinds;

public sealed unsafe partial class TieredMemory
{
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
        ArgumentNullException.ThrowIfNull(target);
        int to = Array.IndexOf(_kinds, target);
        if (to < 0) throw new ArgumentException($"The kind '{target.Name}' is not a tier of this tiered memory.", nameof(target));
        int from = TierOf(ptr);
        MemoryKind kind = _kinds[from];
        long old = (long)kind.GetUsableSize(ptr);
        void* moved = kind.MoveTo(ptr, target);
        if (moved == null || from == to) return moved;
        _counters.Add(from, -old);
        _counters.Add(to, (long)target.GetUsableSize(moved));
        return moved;
    }
}
