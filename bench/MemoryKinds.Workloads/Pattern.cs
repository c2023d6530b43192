using System.Runtime.CompilerServices;

namespace MemoryKinds.Benchmarks;

/// <summary>A live block of a workload: address, size and the tag its contents were written with.</summary>
public struct Block
{
    public nint P;
    public nuint Size;
    public ulong Tag;
}

/// <summary>Thrown when a block's contents are not what the workload wrote: an allocator handed out overlapping or
/// corrupted memory. Never caught by the workloads; the runner prints it and exits with code 3.</summary>
public sealed class BlockCorruptedException(string message) : Exception(message);

/// <summary>
/// The per-block pattern every workload writes after Alloc and checks before Free: the tag in the first 8 bytes, its
/// complement in the last 8 (blocks of 16 B and more), and tag + offset at every 4 KiB page boundary in between (so large blocks touch every page).
/// Tags come from a per-thread sequence mixed with the size, so two blocks that overlap are caught.
/// </summary>
public static unsafe class Pattern
{
    public const nuint MinSize = 8;
    private const int Page = 4096;

    [ThreadStatic] private static ulong t_sequence;
    private static long s_threadSeed;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong NextTag(nuint size)
    {
        if (t_sequence == 0) t_sequence = (ulong)Interlocked.Increment(ref s_threadSeed) << 40;
        ulong x = ++t_sequence * 0x9E3779B97F4A7C15UL ^ size;
        return x | 1;
    }

    /// <summary>Writes the pattern of a new block and returns it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block Fill(void* p, nuint size)
    {
        ulong tag = NextTag(size);
        byte* b = (byte*)p;
        *(ulong*)b = tag;
        if (size >= 16) *(ulong*)(b + size - 8) = ~tag;
        for (nuint off = Page; off + 8 <= size - 8; off += Page) *(ulong*)(b + off) = tag + off;
        return new Block { P = (nint)p, Size = size, Tag = tag };
    }

    /// <summary>Checks the pattern of a block about to be freed; throws <see cref="BlockCorruptedException"/> on a mismatch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(in Block block, string contender)
    {
        byte* b = (byte*)block.P;
        bool ok = *(ulong*)b == block.Tag && (block.Size < 16 || *(ulong*)(b + block.Size - 8) == ~block.Tag);
        for (nuint off = Page; ok && off + 8 <= block.Size - 8; off += Page) ok = *(ulong*)(b + off) == block.Tag + off;
        if (!ok) Fail(block, contender);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fail(in Block block, string contender) =>
        throw new BlockCorruptedException(
            $"BLOCK CONTENTS WRONG: {contender}: block 0x{block.P:x} of {block.Size} bytes, tag 0x{block.Tag:x16}, " +
            $"first word 0x{*(ulong*)block.P:x16}, last word 0x{*(ulong*)((byte*)block.P + block.Size - 8):x16}");

    /// <summary>Allocates, throwing when the contender returns null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block New<T>(ref T a, nuint size) where T : struct, IAllocator
    {
        void* p = a.Alloc(size);
        if (p == null) ThrowNull(a.Name, size);
        return Fill(p, size);
    }

    /// <summary>Checks and frees.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Delete<T>(ref T a, in Block block) where T : struct, IAllocator
    {
        Check(block, a.Name);
        a.Free((void*)block.P);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNull(string name, nuint size) => throw new OutOfMemoryException($"{name} returned NULL for {size} bytes.");
}

/// <summary>Threads whose exceptions are collected and rethrown on the joining thread (a corrupt block fails the run).</summary>
public static class Threads
{
    public static void RunAll(IReadOnlyList<Action> bodies)
    {
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var threads = bodies.Select(body => new Thread(() =>
        {
            try { body(); }
            catch (Exception e) { errors.Enqueue(e); }
        }, 256 * 1024)).ToList();
        foreach (Thread t in threads) t.Start();
        foreach (Thread t in threads) t.Join();
        if (!errors.IsEmpty)
        {
            Exception first = errors.First(e => e is BlockCorruptedException || true);
            Exception? corrupt = errors.FirstOrDefault(e => e is BlockCorruptedException);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(corrupt ?? first);
        }
    }

    public static void Run(int count, Action<int> body) => RunAll(Enumerable.Range(0, count).Select(i => (Action)(() => body(i))).ToList());
}
