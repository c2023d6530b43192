using System.Buffers;
using Microsoft.AspNetCore.Connections;

namespace MemoryKinds.AspNetCore.Tests;

public sealed unsafe class KindBlockPoolTests : IDisposable
{
    private readonly TempKind _temp = new();
    private readonly KindMemoryPoolFactory _factory;
    private readonly KindBlockPool _pool;

    public KindBlockPoolTests()
    {
        _factory = new KindMemoryPoolFactory(_temp.Kind);
        _pool = (KindBlockPool)_factory.Create(new MemoryPoolOptions { Owner = "test" });
    }

    public void Dispose()
    {
        _factory.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void RentedBlockIsOnePageOfTheKind()
    {
        using IMemoryOwner<byte> owner = _pool.Rent();
        Assert.Equal(KindBlockPool.BlockSize, owner.Memory.Length);
        using MemoryHandle handle = owner.Memory.Pin();
        Assert.Same(_temp.Kind, MemoryKind.Detect(handle.Pointer));
        Assert.True(_temp.Allocated >= KindBlockPool.BlockSize, $"the kind has {_temp.Allocated} bytes allocated");
        owner.Memory.Span.Fill(0xA5);
        Assert.Equal(0xA5, owner.Memory.Span[^1]);
    }

    [Fact]
    public void ReturnedBlockIsRentedAgainWithoutAllocating()
    {
        IMemoryOwner<byte> first = _pool.Rent(100);
        first.Dispose();
        Assert.Equal(1, _pool.PooledBlocks);
        IMemoryOwner<byte> second = _pool.Rent(KindBlockPool.BlockSize);
        Assert.Same(first, second);
        Assert.Equal(1, _pool.AllocatedBlocks);
        Assert.Equal(0, _pool.PooledBlocks);
        Assert.Equal(2L * KindBlockPool.BlockSize, _pool.RentedBytes);
        second.Dispose();
    }

    [Fact]
    public void DisposingAnOwnerTwiceReturnsTheBlockOnce()
    {
        IMemoryOwner<byte> owner = _pool.Rent();
        owner.Dispose();
        owner.Dispose();
        Assert.Equal(1, _pool.PooledBlocks);
        using IMemoryOwner<byte> a = _pool.Rent(), b = _pool.Rent();
        Assert.NotSame(a, b);
    }

    [Fact]
    public void RentOfMoreThanABlockIsRefused()
    {
        Assert.Equal(KindBlockPool.BlockSize, _pool.MaxBufferSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => _pool.Rent(KindBlockPool.BlockSize + 1));
        Assert.Equal(0, _pool.AllocatedBlocks);
    }

    [Fact]
    public void DisposedPoolFreesItsFreeBlocksNowAndRentedOnesWhenReturned()
    {
        IMemoryOwner<byte> kept = _pool.Rent(), returned = _pool.Rent();
        returned.Dispose();
        long allocatedWithBoth = _temp.Allocated;
        _pool.Dispose();
        Assert.Equal(1, _pool.AllocatedBlocks);
        Assert.True(_temp.Allocated < allocatedWithBoth, $"{_temp.Allocated} bytes allocated after the dispose, {allocatedWithBoth} before");
        Assert.Throws<ObjectDisposedException>(() => _pool.Rent());
        kept.Dispose();
        Assert.Equal(0, _pool.AllocatedBlocks);
        Assert.Equal(0, _temp.Allocated);
    }

    [Fact]
    public void BlockOfADisposedKindRefusesAccessInsteadOfFaulting()
    {
        using var other = new TempKind();
        using var factory = new KindMemoryPoolFactory(other.Kind);
        IMemoryOwner<byte> owner = factory.Create().Rent();
        Memory<byte> memory = owner.Memory;
        other.Kind.Dispose();
        Assert.Throws<ObjectDisposedException>(() => memory.Span[0]);
        owner.Dispose(); // gives the block back to a pool whose kind is gone: nothing to free, no fault
    }
}
