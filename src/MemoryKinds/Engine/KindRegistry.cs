namespace MemoryKinds.Engine;

/// <summary>
/// Every live kind by slot (the index of its heap in each thread's table and in the address map) and by name.
/// Slots are reused after a kind is destroyed; a kind's uid never is, which is how stale per-thread heaps are told apart.
/// </summary>
internal static class KindRegistry
{
    public const int MaxSlots = (1 << 23) - 1;

    private static readonly Lock s_lock = new();
    private static readonly Stack<int> s_freeSlots = new();
    private static readonly HashSet<string> s_names = new(StringComparer.Ordinal);
    private static KindHeap?[] s_heaps = new KindHeap?[64];
    private static int s_slotCount;
    private static long s_lastUid;
    private static int s_liveCount;

    public static int LiveCount => Volatile.Read(ref s_liveCount);

    /// <summary>Takes a slot and a uid for a kind named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">A live kind already has that name.</exception>
    /// <exception cref="InvalidOperationException">Too many kinds are alive.</exception>
    public static (int Slot, long Uid) Reserve(string name)
    {
        lock (s_lock)
        {
            if (!s_names.Add(name)) throw new ArgumentException($"A live kind is already named '{name}'.", nameof(name));
            int slot;
            if (s_freeSlots.Count > 0) slot = s_freeSlots.Pop();
            else if (s_slotCount < MaxSlots) slot = s_slotCount++;
            else
            {
                s_names.Remove(name);
                throw new InvalidOperationException($"Too many kinds are alive (at most {MaxSlots}).");
            }
            return (slot, ++s_lastUid);
        }
    }

    public static void Publish(int slot, KindHeap heap)
    {
        lock (s_lock)
        {
            if (slot >= s_heaps.Length) Array.Resize(ref s_heaps, Math.Max(slot + 1, s_heaps.Length * 2));
            Volatile.Write(ref s_heaps[slot], heap);
            s_liveCount++;
        }
    }

    /// <summary>Gives back a slot and a name taken by <see cref="Reserve"/>; <paramref name="published"/> says whether <see cref="Publish"/> ran.</summary>
    public static void Remove(int slot, string name, bool published)
    {
        lock (s_lock)
        {
            if (published)
            {
                s_heaps[slot] = null;
                s_liveCount--;
            }
            s_names.Remove(name);
            s_freeSlots.Push(slot);
        }
    }

    /// <summary>The kind in <paramref name="slot"/>, or null. Lock-free.</summary>
    public static KindHeap? At(int slot)
    {
        KindHeap?[] heaps = Volatile.Read(ref s_heaps);
        return (uint)slot < (uint)heaps.Length ? Volatile.Read(ref heaps[slot]) : null;
    }

    public static List<KindHeap> Snapshot()
    {
        lock (s_lock)
        {
            var list = new List<KindHeap>(s_liveCount);
            foreach (KindHeap? heap in s_heaps)
                if (heap is not null) list.Add(heap);
            return list;
        }
    }
}
