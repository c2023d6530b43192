using System.Runtime.InteropServices;

namespace MemoryKinds.Tests;

/// <summary>FixedMemorySource: a kind over memory the caller owns (memkind_create_fixed).</summary>
public unsafe class FixedSourceTests
{
    private const int MiB = 1 << 20;

    [Fact]
    public void BlocksComeFromTheAreaAreZeroedAndTheAreaOutlivesTheKind()
    {
        // An area that is not 4 MiB aligned: the usable part starts at its first 4 MiB boundary.
        byte* area = (byte*)NativeMemory.AlignedAlloc(16 * MiB, 4096);
        byte* start = area + 4096;
        nuint size = 12 * MiB;
        try
        {
            new Span<byte>(start, (int)size).Fill(0xEE);
            var source = new FixedMemorySource(start, size);
            nuint first = ((nuint)start + (4u << 20) - 1) & ~(nuint)((4u << 20) - 1);
            Assert.Equal((long)((nuint)start + size - first) & ~0xFFFFL, source.UsableBytes);
            Assert.Equal((long)size, source.Capacity);
            using (MemoryKind kind = MemoryKind.Create("fixed-test", source))
            {
                var blocks = new List<nuint>();
                for (void* p; (p = kind.TryAllocZeroed(1, 1000)) != null;) blocks.Add((nuint)p);
                Assert.True(blocks.Count * 1000L >= source.UsableBytes / 2, $"only {blocks.Count} blocks of 1000 B in {source.UsableBytes} usable bytes");
                foreach (nuint p in blocks)
                {
                    Assert.InRange(p, first, (nuint)start + size - 1000);
                    Assert.True(new ReadOnlySpan<byte>((void*)p, 1000).IndexOfAnyExcept((byte)0) < 0, "a block of a fixed kind was not zeroed");
                    Assert.Same(kind, MemoryKind.Detect((void*)p));
                }
                foreach (nuint p in blocks) kind.Free((void*)p);
            }
            // The kind never unmaps the caller's memory: the whole area is still writable.
            new Span<byte>(start, (int)size).Fill(1);
            Assert.Equal(1, start[size - 1]);
        }
        finally
        {
            NativeMemory.AlignedFree(area);
        }
    }

    [Fact]
    public void AnAreaWithNoRoomPastItsFirst4MiBBoundaryIsRefused()
    {
        byte* area = (byte*)NativeMemory.AlignedAlloc(8 * MiB, 4u << 20);
        try
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new FixedMemorySource(area + 4096, 4 * MiB));
            Assert.Throws<ArgumentNullException>(() => new FixedMemorySource(null, 4 * MiB));
            Assert.Equal(8L * MiB - (4L << 20), new FixedMemorySource(area + 4096, 8 * MiB - 4096).UsableBytes);
        }
        finally
        {
            NativeMemory.AlignedFree(area);
        }
    }
}
