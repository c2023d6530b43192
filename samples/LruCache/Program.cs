// A least-recently-used cache of byte values whose entries live in a bounded pmem kind: when the kind is full, the
// least recently used entries are evicted until the new value fits. The keys and the LRU list stay on the managed heap;
// the values (the bulk of the data) are blocks of the kind. Usage: LruCache [directory] (default: the temp directory).
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using MemoryKinds;

string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
using var cache = new PmemLruCache(dir, capacity: PmemKind.MinSize); // 16 MiB of file space for values
var random = new Random(1);
int inserted = 0, hits = 0, misses = 0;
const int Keys = 4000;
for (int round = 0; round < 3 * Keys; round++)
{
    // Mostly recent keys (hot), sometimes any key (cold).
    int key = random.Next(4) == 0 ? random.Next(Keys) : Math.Max(0, Math.Min(Keys - 1, round % Keys - random.Next(64)));
    string name = $"key-{key}";
    if (cache.TryGet(name, out byte[]? value))
    {
        hits++;
        if (!value.AsSpan().SequenceEqual(ValueFor(name))) return Fail($"the value of {name} changed");
    }
    else
    {
        misses++;
        if (cache.Set(name, ValueFor(name))) inserted++;
    }
}
Console.WriteLine($"{inserted} values inserted, {hits} hits, {misses} misses, {cache.Evictions} evictions; {cache.Count} values ({cache.ValueBytes >> 10} KiB) in {cache.Kind}.");
Console.WriteLine($"Kind stats: {cache.Kind.GetStats()}; limit {cache.Kind.MaxSize >> 20} MiB.");
if (cache.Evictions == 0) return Fail("the kind never filled up");
if (hits == 0) return Fail("no cache hits");
// Every value still cached is intact.
foreach (string name in cache.Keys)
    if (!cache.TryGet(name, out byte[]? value) || !value.AsSpan().SequenceEqual(ValueFor(name))) return Fail($"the value of {name} is wrong");
Console.WriteLine("Every cached value checked.");
return 0;

// A deterministic value of 1 to 64 KiB for a key.
static byte[] ValueFor(string key)
{
    byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
    int length = 1 + (BitConverter.ToInt32(hash) & 0xFFFF);
    var value = new byte[length];
    for (int i = 0; i < length; i++) value[i] = hash[i % hash.Length];
    return value;
}

static int Fail(string message)
{
    Console.Error.WriteLine($"Unexpected result: {message}");
    return 1;
}

/// <summary>An LRU cache of byte values stored in a bounded pmem kind; not thread-safe.</summary>
sealed unsafe class PmemLruCache : IDisposable
{
    private readonly record struct Entry(string Key, nint Pointer, int Length);

    private readonly Dictionary<string, LinkedListNode<Entry>> _map = new();
    private readonly LinkedList<Entry> _lru = new(); // most recently used first

    public PmemLruCache(string directory, long capacity) => Kind = PmemKind.Create(directory, capacity);

    public PmemKind Kind { get; }
    public int Count => _map.Count;
    public long Evictions { get; private set; }
    public long ValueBytes { get; private set; }
    public IEnumerable<string> Keys => _map.Keys.ToArray();

    /// <summary>Stores a copy of <paramref name="value"/>, evicting least recently used values until it fits.</summary>
    /// <returns>False when the value cannot fit even in an empty cache.</returns>
    public bool Set(string key, ReadOnlySpan<byte> value)
    {
        Remove(key);
        void* p;
        while ((p = Kind.TryAlloc((nuint)value.Length)) == null)
        {
            if (_lru.Last is null) return false; // too large for the kind
            Evict(_lru.Last);
        }
        value.CopyTo(new Span<byte>(p, value.Length));
        _map[key] = _lru.AddFirst(new Entry(key, (nint)p, value.Length));
        ValueBytes += value.Length;
        return true;
    }

    /// <summary>Copies the value of <paramref name="key"/> out and marks it most recently used.</summary>
    public bool TryGet(string key, [NotNullWhen(true)] out byte[]? value)
    {
        if (!_map.TryGetValue(key, out LinkedListNode<Entry>? node))
        {
            value = null;
            return false;
        }
        _lru.Remove(node);
        _lru.AddFirst(node);
        value = new ReadOnlySpan<byte>((void*)node.Value.Pointer, node.Value.Length).ToArray();
        return true;
    }

    public bool Remove(string key)
    {
        if (!_map.Remove(key, out LinkedListNode<Entry>? node)) return false;
        _lru.Remove(node);
        Release(node.Value);
        return true;
    }

    private void Evict(LinkedListNode<Entry> node)
    {
        _map.Remove(node.Value.Key);
        _lru.Remove(node);
        Release(node.Value);
        Evictions++;
    }

    private void Release(Entry entry)
    {
        Kind.Free((void*)entry.Pointer);
        ValueBytes -= entry.Length;
    }

    public void Dispose()
    {
        foreach (Entry entry in _lru) Kind.Free((void*)entry.Pointer);
        _lru.Clear();
        _map.Clear();
        Kind.Dispose();
    }
}
