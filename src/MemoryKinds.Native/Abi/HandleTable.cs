using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace MemoryKinds.Native.Abi;

/// <summary>
/// The opaque handles C holds for managed objects (<c>struct memtier_builder *</c>, <c>struct memtier_memory *</c>):
/// each handle is the address of a small block of native memory of its own, so live handles never coincide, and a
/// pointer is looked up, never read, so garbage and stale handles are refused without touching memory.
/// </summary>
internal sealed unsafe class HandleTable<T> where T : class
{
    private const int HandleBytes = 16;

    private readonly ConcurrentDictionary<nint, T> _live = new();

    /// <summary>A new handle for <paramref name="value"/>.</summary>
    public void* Add(T value)
    {
        void* handle = NativeMemory.Alloc(HandleBytes);
        _live[(nint)handle] = value;
        return handle;
    }

    /// <summary>The object of a live handle, or null for null, a removed handle or any other pointer.</summary>
    public T? Find(void* handle) => handle != null && _live.TryGetValue((nint)handle, out T? value) ? value : null;

    /// <summary>Removes a live handle (its address may be handed out again later); null when it is not one.</summary>
    public T? Remove(void* handle)
    {
        if (handle == null || !_live.TryRemove((nint)handle, out T? value)) return null;
        NativeMemory.Free(handle);
        return value;
    }
}
