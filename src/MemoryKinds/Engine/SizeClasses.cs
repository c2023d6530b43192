using System.Numerics;
using System.Runtime.CompilerServices;

namespace MemoryKinds.Engine;

/// <summary>
/// Size classes ("bins"): 16-byte steps up to 128 bytes, then eight classes per doubling up to 512 KiB, so a block wastes
/// at most 12.5% of the request or 15 bytes. Larger requests are spans of whole 64 KiB slices (waste under 64 KiB, which is
/// under 12.5% of anything above 512 KiB).
/// </summary>
internal static class SizeClasses
{
    public const int BinCount = 104;
    public const nuint SmallMax = 512u << 10;
    public const int SliceShift = 16;
    public const nuint SliceSize = (nuint)1 << SliceShift;

    /// <summary>
    /// The unit in which storage is reserved and given back: the OS page (at most a slice). Slices are mapped whole, but
    /// a page or large block reserves only the OS pages it hands out, so a partly used page or a block just over a slice
    /// boundary costs its bytes, not whole slices, against the kind's limit and the file system.
    /// </summary>
    public static readonly nuint CommitUnit = (nuint)Math.Min(Environment.SystemPageSize, (int)SliceSize);

    public static nuint RoundUpToCommitUnit(nuint bytes) => (bytes + CommitUnit - 1) & ~(CommitUnit - 1);

    /// <summary>Bin of a request of <c>s + 1</c> bytes, for <c>s &lt; SmallMax</c> (callers pass size-1 so 0 bytes falls outside).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BinOfSizeMinusOne(nuint s)
    {
        // Branch-free: below 128, k = 7 and the formula gives s / 16 (bins 0..7, 16 bytes apart), the same as above it for
        // 128..255. A branch there mispredicted in mixes of random sizes.
        int k = BitOperations.Log2(s | 128);
        return ((k - 7) << 3) + (int)(s >> (k - 3));
    }

    public static nuint BlockSize(int bin)
    {
        if (bin < 8) return (nuint)(16 * (bin + 1));
        int k = (bin >> 3) + 6, m = (bin & 7) + 8;
        return (nuint)(m + 1) << (k - 3);
    }

    /// <summary>
    /// Slices per page of a bin: one for blocks up to 8 KiB; up to 64 KiB the fewest of 1, 2, 4, 8 that hold at least four
    /// blocks with a tail (the part no whole block fits in) of at most 1/8 of the page; above that the least common multiple of block and slice, so
    /// blocks tile the page without a tail (at most 16 slices, 8 blocks).
    /// </summary>
    /// <remarks>
    /// Few slices rather than many blocks per page: a page holds storage for its bin only, so in a kind with blocks of many
    /// medium sizes every bin's partly used page is storage no other size can use (pages of 8 slices up to 64 KiB left
    /// 40% of a 16 MiB kind in such pages with random sizes of 1–300 KiB). At least four blocks, so that a loop of 64 KiB
    /// blocks does not set up and tear down a page for every block (a one-block page made it 1.4x memkind's time).
    /// </remarks>
    public static int PageSlices(int bin)
    {
        nuint size = BlockSize(bin);
        if (size <= 8u << 10) return 1;
        if (size <= SliceSize)
        {
            int slices = 1;
            while (slices < 8 && (((nuint)slices << SliceShift) % size > ((nuint)slices << SliceShift) / 8 || ((nuint)slices << SliceShift) / size < 4)) slices *= 2;
            return slices;
        }
        nuint gcd = (nuint)1 << Math.Min(BitOperations.TrailingZeroCount(size), SliceShift);
        return (int)(size / gcd);
    }

    /// <summary>
    /// Blocks per page of a bin: as many as fit, or fewer when that many fill a whole number of OS pages and still use
    /// 7/8 of the page. Storage is reserved per OS page, so the part of the last OS page no whole block fits in is lost
    /// storage; 192 blocks of 320 B fill fifteen OS pages exactly, where 204 left 256 bytes of a sixteenth unused (0.4%,
    /// and memkind's 320-byte slabs lose nothing). The unused rest of the page is address space, never reserved.
    /// </summary>
    public static int PageBlocks(int bin)
    {
        nuint size = BlockSize(bin), bytes = (nuint)PageSlices(bin) << SliceShift;
        int fit = (int)(bytes / size);
        int group = (int)(CommitUnit >> BitOperations.TrailingZeroCount(size | CommitUnit)); // blocks that end on an OS page boundary
        int whole = fit / group * group;
        return whole >= 4 && (nuint)whole * size >= bytes - bytes / 8 ? whole : fit;
    }

    /// <summary>
    /// Where a page of <paramref name="slices"/> slices starts: on a multiple of its size rounded up to a power of two,
    /// at most 512 KiB. A stray one-slice page then spoils at most one such stretch, which is whole again once that page
    /// is given back (unaligned, two-slice pages lost slices between them for good).
    /// </summary>
    public static nuint PageAlignment(int slices)
        => slices == 1 ? 0 : (nuint)Math.Min(BitOperations.RoundUpToPowerOf2((uint)slices), 8u) << SliceShift;
}
