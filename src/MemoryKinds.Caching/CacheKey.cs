using System.Buffers;
using System.Text;

namespace MemoryKinds.Caching;

/// <summary>A key as the index stores it: its UTF-8 bytes and their hash. Long keys borrow a pooled array until disposed.</summary>
internal readonly ref struct CacheKey
{
    /// <summary>Bytes of the stack buffer callers give; longer keys are encoded into a pooled array.</summary>
    public const int StackBytes = 256;

    private readonly byte[]? _rented;

    /// <summary>Encodes <paramref name="key"/> into <paramref name="stackBuffer"/> when it fits.</summary>
    public CacheKey(string key, Span<byte> stackBuffer)
    {
        int length = Encoding.UTF8.GetByteCount(key);
        Span<byte> buffer = length <= stackBuffer.Length ? stackBuffer : (_rented = ArrayPool<byte>.Shared.Rent(length));
        Bytes = buffer[..Encoding.UTF8.GetBytes(key, buffer)];
        Hash = HashOf(Bytes);
    }

    /// <summary>The key's UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>The hash of <see cref="Bytes"/>.</summary>
    public int Hash { get; }

    /// <summary>
    /// The hash of UTF-8 key bytes: <see cref="HashCode"/>, seeded per process, so keys chosen by an attacker cannot be
    /// made to collide. Hashing the bytes rather than the string keeps hash and equality on the same representation.
    /// </summary>
    public static int HashOf(ReadOnlySpan<byte> bytes)
    {
        var hash = new HashCode();
        hash.AddBytes(bytes);
        return hash.ToHashCode();
    }

    /// <summary>Returns the pooled array, if any.</summary>
    public void Dispose()
    {
        if (_rented is not null) ArrayPool<byte>.Shared.Return(_rented);
    }
}
