using MemoryKinds.Engine;

namespace MemoryKinds.Tests;

/// <summary>The size-to-bin mapping the inlined fast path uses, checked for every small size.</summary>
public class SizeClassTests
{
    [Fact]
    public void EverySmallSizeMapsToTheSmallestBinThatHoldsIt()
    {
        for (nuint size = 1; size <= SizeClasses.SmallMax; size++)
        {
            int bin = SizeClasses.BinOfSizeMinusOne(size - 1);
            Assert.True(bin >= 0 && bin < SizeClasses.BinCount, $"{size} bytes map to bin {bin}, outside 0..{SizeClasses.BinCount - 1}.");
            Assert.True(SizeClasses.BlockSize(bin) >= size, $"{size} bytes map to bin {bin} of {SizeClasses.BlockSize(bin)}-byte blocks.");
            Assert.True(bin == 0 || SizeClasses.BlockSize(bin - 1) < size,
                $"{size} bytes map to bin {bin} ({SizeClasses.BlockSize(bin)} B) although bin {bin - 1} ({SizeClasses.BlockSize(bin - 1)} B) holds them.");
        }
    }

    /// <summary>
    /// Storage is reserved per OS page: every page whose blocks can end on an OS page boundary within 7/8 of it does so,
    /// so a full page reserves exactly its blocks' bytes; the others keep every block that fits.
    /// </summary>
    [Fact]
    public void PagesEndOnAnOsPageBoundaryWhereThatCostsLittleAddressSpace()
    {
        nuint unit = SizeClasses.CommitUnit;
        for (int bin = 0; bin < SizeClasses.BinCount; bin++)
        {
            nuint size = SizeClasses.BlockSize(bin), bytes = (nuint)SizeClasses.PageSlices(bin) << SizeClasses.SliceShift;
            int blocks = SizeClasses.PageBlocks(bin), fit = (int)(bytes / size);
            Assert.True(blocks >= 1 && blocks <= fit, $"bin {bin} ({size} B): {blocks} blocks in a {bytes}-byte page that fits {fit}.");
            int ending = Enumerable.Range(1, fit).Reverse().FirstOrDefault(n => (nuint)n * size % unit == 0);
            bool wholePages = (nuint)blocks * size % unit == 0;
            if (ending >= 4 && (nuint)ending * size >= bytes - bytes / 8)
                Assert.True(wholePages && blocks == ending, $"bin {bin} ({size} B): {blocks} blocks, but {ending} end on an OS page boundary.");
            else
                Assert.Equal(fit, blocks);
        }
    }

    [Fact]
    public void BlockSizesGrowAndTheLastBinHoldsTheLargestSmallBlock()
    {
        for (int bin = 1; bin < SizeClasses.BinCount; bin++)
            Assert.True(SizeClasses.BlockSize(bin) > SizeClasses.BlockSize(bin - 1), $"Bin {bin} is not larger than bin {bin - 1}.");
        Assert.Equal(SizeClasses.SmallMax, SizeClasses.BlockSize(SizeClasses.BinCount - 1));
    }
}
