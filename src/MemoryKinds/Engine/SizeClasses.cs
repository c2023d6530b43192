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

    /// <summary>Bin of a request of <c>s + 1</c> bytes, for <c>s &lt; SmallMax</c> (callers pass size-1 so 0 bytes falls outside).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BinOfSizeMinusOne(nuint s)
    {
        if (s < 128) return (int)(s >> 4);
        int k = BitOperations.Log2(s);
        return ((k - 7) << 3) + (int)(s >> (k - 3));
    }

    public static nuint BlockSize(int bin)
    {
        if (bin < 8) return (nuint)(16 * (bin + 1));
        int k = (bin >> 3) + 6, m = (bin & 7) + 8;
        return (nuint)(m + 1) << (k - 3);
    }

    /// <summary>Slices per page of a bin: one for blocks up to 8 KiB, eight up to 64 KiB, and above that the least
    /// common multiple of block and slice, so blocks tile the page without a tail (at most 16 slices, 8 blocks).</summary>
    public static int PageSlices(int bin)
    {
        nuint size = BlockSize(bin);
        if (size <= 8u << 10) return 1;
        if (size <= SliceSize) return 8;
        nuint gcd = (nuint)1 << Math.Min(BitOperations.TrailingZeroCount(size), SliceShift);
        return (int)(size / gcd);
    }
}
