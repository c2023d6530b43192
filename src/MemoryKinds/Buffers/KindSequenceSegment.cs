using System.Buffers;

namespace MemoryKinds;

/// <summary>
/// One block of a <see cref="KindBufferWriter"/> as a node of a <see cref="ReadOnlySequence{T}"/>: its
/// <see cref="ReadOnlySequenceSegment{T}.Memory"/> is the written part of the block, which comes from the block's
/// <see cref="KindMemoryOwner{T}"/> (so a sequence kept past the block's release throws instead of reading freed memory).
/// </summary>
internal sealed class KindSequenceSegment : ReadOnlySequenceSegment<byte>
{
    public KindSequenceSegment(KindMemoryOwner<byte> block, long runningIndex)
    {
        Block = block;
        RunningIndex = runningIndex;
        Memory = block.Memory[..0];
    }

    /// <summary>The block the bytes live in; the node owns it.</summary>
    public KindMemoryOwner<byte> Block { get; }

    /// <summary>The number of bytes written into the block.</summary>
    public int Written => Memory.Length;

    /// <summary>The unwritten rest of the block.</summary>
    public Memory<byte> Unwritten => Block.Memory[Written..];

    /// <summary>Counts <paramref name="count"/> more bytes, at most <see cref="Unwritten"/>'s length, as written.</summary>
    public void Advance(int count) => Memory = Block.Memory[..(Written + count)];

    /// <summary>Appends <paramref name="next"/> after this node.</summary>
    public void Link(KindSequenceSegment next) => Next = next;
}
