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

    [Fact]
    public void BlockSizesGrowAndTheLastBinHoldsTheLargestSmallBlock()
    {
        for (int bin = 1; bin < SizeClasses.BinCount; bin++)
            Assert.True(SizeClasses.BlockSize(bin) > SizeClasses.BlockSize(bin - 1), $"Bin {bin} is not larger than bin {bin - 1}.");
        Assert.Equal(SizeClasses.SmallMax, SizeClasses.BlockSize(SizeClasses.BinCount - 1));
    }
}
