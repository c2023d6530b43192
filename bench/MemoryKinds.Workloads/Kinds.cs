using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// Kind workloads for the pmem kinds of MemoryKinds and memkind (no size limit), per directory:
/// <c>lifecycle</c>: <c>count</c> × (create + Alloc(64) + write/check + Free + destroy);
/// <c>alive</c>: create <c>count</c> kinds, one 64 B block in each, check and free all, destroy all (1,000 alive at once
/// in the full run). A creation failure (memkind's kind limit, file descriptors) is reported with the count reached.
/// </summary>
public static unsafe class KindWorkloads
{
    public sealed record KindContender(string Name, string Directory, Func<nint> Create, Func<nint, nuint, nint> Alloc,
        Action<nint, nint> Free, Action<nint> Destroy);

    private static readonly List<PmemKind?> s_kinds = [null];

    public static List<KindContender> All()
    {
        var list = new List<KindContender>();
        foreach (string dir in new[] { Dirs.Shm, Dirs.Tmp })
        {
            string d = dir;
            list.Add(new KindContender($"MemoryKinds pmem {d}", d,
                () => { lock (s_kinds) { s_kinds.Add(PmemKind.Create(d)); return s_kinds.Count - 1; } },
                (k, size) => (nint)s_kinds[(int)k]!.Alloc(size),
                (k, p) => s_kinds[(int)k]!.Free((void*)p),
                k => { s_kinds[(int)k]!.Dispose(); s_kinds[(int)k] = null; }));
        }
        if (Memkind.IsAvailable)
        {
            foreach (string dir in new[] { Dirs.Shm, Dirs.Tmp })
            {
                nint utf8 = Marshal.StringToCoTaskMemUTF8(dir);
                list.Add(new KindContender($"memkind pmem {dir}", dir,
                    () => Memkind.CreatePmem((byte*)utf8, 0),
                    (k, size) => (nint)Memkind.memkind_malloc(k, size),
                    (k, p) => Memkind.memkind_free(k, (void*)p),
                    Memkind.Destroy));
            }
        }
        return list;
    }

    /// <summary>Returns ms, or throws <see cref="KindLimitException"/> when a kind cannot be created.</summary>
    public static double Lifecycle(KindContender c, int count)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            nint kind = c.Create();
            Block b = Pattern.Fill((void*)NotNull(c, c.Alloc(kind, 64)), 64);
            Pattern.Check(b, c.Name);
            c.Free(kind, b.P);
            c.Destroy(kind);
        }
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    public static double Alive(KindContender c, int count)
    {
        var kinds = new List<(nint Kind, Block Block)>(count);
        long start = Stopwatch.GetTimestamp();
        try
        {
            for (int i = 0; i < count; i++)
            {
                nint kind;
                try { kind = c.Create(); }
                catch (Exception e) when (e is not BlockCorruptedException)
                {
                    throw new KindLimitException($"{c.Name}: creating kind {i + 1} of {count} failed: {e.Message}");
                }
                kinds.Add((kind, Pattern.Fill((void*)NotNull(c, c.Alloc(kind, 64)), 64)));
            }
            foreach (var (kind, block) in kinds)
            {
                Pattern.Check(block, c.Name);
                c.Free(kind, block.P);
            }
            foreach (var (kind, _) in kinds) c.Destroy(kind);
            kinds.Clear();
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        finally
        {
            foreach (var (kind, block) in kinds)
            {
                c.Free(kind, block.P);
                c.Destroy(kind);
            }
        }
    }

    private static nint NotNull(KindContender c, nint p) =>
        p != 0 ? p : throw new OutOfMemoryException($"{c.Name} returned NULL for 64 bytes.");
}

public sealed class KindLimitException(string message) : Exception(message);
