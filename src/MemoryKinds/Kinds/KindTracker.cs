namespace MemoryKinds;

/// <summary>
/// A weak registry of the live <see cref="MemoryKind"/> instances, for the observable metric instruments
/// (<see cref="KindMetrics"/>) to enumerate. Registration happens at the end of the kind's constructor and removal in its
/// <see cref="MemoryKind.Dispose"/>; references are weak so the registry never keeps a kind alive by itself.
/// </summary>
internal static class KindTracker
{
    private static readonly Lock s_lock = new();
    private static readonly Dictionary<long, WeakReference<MemoryKind>> s_kinds = new();
    private static long s_lastId;

    /// <summary>Adds <paramref name="kind"/>; returns its registration id, for <see cref="Unregister"/>.</summary>
    public static long Register(MemoryKind kind)
    {
        KindMetrics.EnsureCreated();
        lock (s_lock)
        {
            long id = ++s_lastId;
            s_kinds.Add(id, new WeakReference<MemoryKind>(kind));
            return id;
        }
    }

    /// <summary>Removes the kind registered under <paramref name="id"/>; an unknown id does nothing.</summary>
    public static void Unregister(long id)
    {
        lock (s_lock) s_kinds.Remove(id);
    }

    /// <summary>How many registered kinds are still alive and not disposed.</summary>
    public static int LiveCount
    {
        get
        {
            int count = 0;
            lock (s_lock)
            {
                foreach (WeakReference<MemoryKind> weak in s_kinds.Values)
                    if (weak.TryGetTarget(out MemoryKind? kind) && !kind.IsDisposed) count++;
            }
            return count;
        }
    }

    /// <summary>The live, undisposed kinds in registration order; entries whose kind was collected are dropped.</summary>
    public static List<MemoryKind> Snapshot()
    {
        var live = new List<(long Id, MemoryKind Kind)>();
        List<long>? dead = null;
        lock (s_lock)
        {
            foreach ((long id, WeakReference<MemoryKind> weak) in s_kinds)
            {
                if (!weak.TryGetTarget(out MemoryKind? kind)) (dead ??= []).Add(id);
                else if (!kind.IsDisposed) live.Add((id, kind));
            }
            if (dead is not null)
                foreach (long id in dead) s_kinds.Remove(id);
        }
        live.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return live.ConvertAll(static entry => entry.Kind);
    }
}
