namespace MemoryKinds.Caching.Tests;

public sealed class BasicOperationTests : IDisposable
{
    private static readonly DistributedCacheEntryOptions NoExpiration = new();
    private readonly MemoryKind _kind = TestValues.DramKind();
    private readonly KindDistributedCache _cache;

    public BasicOperationTests() => _cache = new KindDistributedCache(_kind);

    public void Dispose()
    {
        _cache.Dispose();
        _kind.Dispose();
    }

    [Fact]
    public void SetThenGetReturnsACopyOfTheValue()
    {
        byte[] value = TestValues.For("a", 1000);
        _cache.Set("a", value, NoExpiration);
        byte[]? read = _cache.Get("a");
        Assert.Equal(value, read);
        Assert.NotSame(value, read);
        Assert.Null(_cache.Get("b"));
        Assert.Equal(1, _cache.Count);
    }

    [Fact]
    public void SetReplacesTheValueOfTheSameKey()
    {
        _cache.Set("k", TestValues.For("k", 100, 1), NoExpiration);
        long bytesBefore = _cache.Bytes;
        _cache.Set("k", TestValues.For("k", 5000, 2), NoExpiration);
        Assert.Equal(TestValues.For("k", 5000, 2), _cache.Get("k"));
        Assert.Equal(1, _cache.Count);
        Assert.Equal(bytesBefore + 4900, _cache.Bytes);
    }

    [Fact]
    public void RemoveDeletesOnlyThatKey()
    {
        _cache.Set("x", [1], NoExpiration);
        _cache.Set("y", [2], NoExpiration);
        _cache.Remove("x");
        _cache.Remove("never-set");
        Assert.Null(_cache.Get("x"));
        Assert.Equal([2], _cache.Get("y"));
        Assert.Equal(1, _cache.Count);
    }

    [Fact]
    public void EmptyValuesLongKeysAndNonAsciiKeysRoundTrip()
    {
        string longKey = new('k', 10_000); // past the stack buffer: the key bytes come from the pool
        _cache.Set("", [], NoExpiration);
        _cache.Set(longKey, [7, 8], NoExpiration);
        _cache.Set("clé-ключ-鍵", [9], NoExpiration);
        byte[]? empty = _cache.Get("");
        Assert.NotNull(empty);
        Assert.Empty(empty);
        Assert.Equal([7, 8], _cache.Get(longKey));
        Assert.Null(_cache.Get(longKey[1..]));
        Assert.Equal([9], _cache.Get("clé-ключ-鍵"));
        Assert.Null(_cache.Get("cle-ключ-鍵"));
    }

    [Fact]
    public void BufferMethodsRoundTripMultiSegmentSequences()
    {
        byte[] first = TestValues.For("s", 3000, 1), second = TestValues.For("s", 2000, 2);
        _cache.Set("s", Sequences.Of(first, second), NoExpiration);
        var writer = new ArrayBufferWriter<byte>();
        writer.Write<byte>([0xAA]); // the cache appends after what the writer holds
        Assert.True(_cache.TryGet("s", writer));
        Assert.Equal([0xAA, .. first, .. second], writer.WrittenSpan.ToArray());
        Assert.False(_cache.TryGet("missing", writer));
        Assert.Equal(5001, writer.WrittenCount);
    }

    [Fact]
    public async Task AsyncMethodsDoWhatTheSynchronousOnesDo()
    {
        await _cache.SetAsync("a", [1, 2, 3], NoExpiration);
        await _cache.SetAsync("b", new ReadOnlySequence<byte>([4, 5]), NoExpiration);
        Assert.Equal([1, 2, 3], await _cache.GetAsync("a"));
        var writer = new ArrayBufferWriter<byte>();
        Assert.True(await _cache.TryGetAsync("b", writer));
        Assert.Equal([4, 5], writer.WrittenSpan.ToArray());
        await _cache.RefreshAsync("a");
        await _cache.RemoveAsync("a");
        Assert.Null(await _cache.GetAsync("a"));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _cache.GetAsync("b", cancelled.Token));
    }

    [Fact]
    public void NullArgumentsAreRefused()
    {
        Assert.Throws<ArgumentNullException>(() => _cache.Get(null!));
        Assert.Throws<ArgumentNullException>(() => _cache.Set(null!, [], NoExpiration));
        Assert.Throws<ArgumentNullException>(() => _cache.Set("k", (byte[])null!, NoExpiration));
        Assert.Throws<ArgumentNullException>(() => _cache.Set("k", [], null!));
        Assert.Throws<ArgumentNullException>(() => _cache.TryGet("k", null!));
        Assert.Throws<ArgumentNullException>(() => _cache.Remove(null!));
        Assert.Throws<ArgumentNullException>(() => _cache.Refresh(null!));
        Assert.Throws<ArgumentNullException>(() => new KindDistributedCache((MemoryKind)null!));
        Assert.Equal(0, _cache.Count);
    }

    [Fact]
    public void WritersThatCallBackIntoTheCacheAreSafe()
    {
        _cache.Set("self", TestValues.For("self", 4096), NoExpiration);
        // The writer removes and overwrites the very entry being read: the copy still sees the old, live bytes.
        var writer = new CallbackWriter(() =>
        {
            _cache.Remove("self");
            _cache.Set("self", TestValues.For("self", 4096, 1), NoExpiration);
        });
        Assert.True(_cache.TryGet("self", writer));
        Assert.Equal(TestValues.For("self", 4096), writer.Written);
        Assert.Equal(TestValues.For("self", 4096, 1), _cache.Get("self"));
    }

    private sealed class CallbackWriter(Action onGetSpan) : IBufferWriter<byte>
    {
        private readonly ArrayBufferWriter<byte> _inner = new();

        public byte[] Written => _inner.WrittenSpan.ToArray();

        public void Advance(int count) => _inner.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0) => throw new NotSupportedException();

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            onGetSpan();
            return _inner.GetSpan(sizeHint);
        }
    }
}
