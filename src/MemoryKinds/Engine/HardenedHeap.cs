using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace MemoryKinds.Engine;

/// <summary>
/// Hardened mode, to find the caller's bugs: every block carries an 8-byte tail canary checked at free (overflows),
/// new blocks are filled with 0xA5 (reads of uninitialised memory), freed blocks with 0xDF and held in a quarantine
/// before they are really freed, and the junk is checked when they leave it (writes after free). Double frees of
/// quarantined blocks are caught too. Everything goes through locks and extra passes over the memory: a debugging aid.
/// </summary>
internal sealed unsafe class HardenedHeap(KindHeap heap)
{
    private const int CanarySize = 8;
    private const byte AllocJunk = 0xA5, FreeJunk = 0xDF;
    private const int QuarantineBlocks = 1024;
    private const long QuarantineBytes = 4L << 20;
    /// <summary>Junk is verified over at most this many bytes at each end of a block, so huge blocks stay affordable.</summary>
    private const int JunkCheckBytes = 64 << 10;

    private static readonly ulong s_secret = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));

    /// <summary>Whether MEMKINDS_HARDENED=1 turns hardened mode on for every kind in the process.</summary>
    public static bool EnabledForProcess { get; } = Environment.GetEnvironmentVariable("MEMKINDS_HARDENED") == "1";

    private readonly Queue<(nint Block, nuint Usable)> _quarantine = new();
    private readonly HashSet<nint> _quarantined = new();
    private long _quarantinedBytes;

    public void* Alloc(nuint size, nuint alignment)
    {
        heap.BeginTouchingBlocks();
        try
        {
            if (size > nuint.MaxValue - CanarySize) return null;
            void* p = heap.AlignedAlloc(size + CanarySize, Math.Max(alignment, 16));
            if (p == null) return null;
            nuint usable = heap.UsableSize(p) - CanarySize;
            new Span<byte>(p, (int)Math.Min(usable, int.MaxValue)).Fill(AllocJunk);
            *(ulong*)((byte*)p + usable) = Canary(p);
            return p;
        }
        finally
        {
            heap.EndTouchingBlocks();
        }
    }

    public nuint UsableSize(void* p)
    {
        ThrowIfQuarantined(p);
        return heap.UsableSize(p) - CanarySize;
    }

    public void Free(void* p)
    {
        if (p == null) return;
        heap.BeginTouchingBlocks();
        try
        {
            nuint usable = UsableSize(p);
            if (*(ulong*)((byte*)p + usable) != Canary(p))
                throw new InvalidOperationException($"Heap corruption in kind '{heap.Name}': the bytes right after block 0x{(nuint)p:x} ({usable} usable bytes) were overwritten (buffer overflow). The block is not freed.");
            Fill(p, usable, FreeJunk);
            (nint Block, nuint Usable) evicted = default;
            bool evict;
            lock (_quarantine)
            {
                if (!_quarantined.Add((nint)p)) throw DoubleFree(p);
                _quarantine.Enqueue(((nint)p, usable));
                _quarantinedBytes += (long)usable;
                evict = _quarantine.Count > QuarantineBlocks || _quarantinedBytes > QuarantineBytes;
                if (evict)
                {
                    evicted = _quarantine.Dequeue();
                    _quarantined.Remove(evicted.Block);
                    _quarantinedBytes -= (long)evicted.Usable;
                }
            }
            if (evict) Release((void*)evicted.Block, evicted.Usable);
        }
        finally
        {
            heap.EndTouchingBlocks();
        }
    }

    public void* Realloc(void* p, nuint size)
    {
        heap.BeginTouchingBlocks();
        try
        {
            nuint usable = UsableSize(p);
            void* moved = Alloc(size, 16);
            if (moved == null) return null;
            Buffer.MemoryCopy(p, moved, size, Math.Min(usable, size));
            Free(p);
            return moved;
        }
        finally
        {
            heap.EndTouchingBlocks();
        }
    }

    /// <summary>Frees every quarantined block for real (checking its junk): called before the kind reports itself full.</summary>
    public bool Drain()
    {
        heap.BeginTouchingBlocks();
        try
        {
            List<(nint Block, nuint Usable)> all;
            lock (_quarantine)
            {
                all = [.. _quarantine];
                _quarantine.Clear();
                _quarantined.Clear();
                _quarantinedBytes = 0;
            }
            InvalidOperationException? corruption = null;
            foreach ((nint block, nuint usable) in all)
            {
                try
                {
                    Release((void*)block, usable);
                }
                catch (InvalidOperationException e)
                {
                    corruption ??= e;
                }
            }
            if (corruption is not null) throw corruption;
            return all.Count > 0;
        }
        finally
        {
            heap.EndTouchingBlocks();
        }
    }

    private void Release(void* p, nuint usable)
    {
        long bad = FirstNotJunk(p, usable);
        heap.Free(p);
        if (bad >= 0)
            throw new InvalidOperationException($"Heap corruption in kind '{heap.Name}': block 0x{(nuint)p:x} was written at offset {bad} after it was freed (use after free).");
    }

    private void ThrowIfQuarantined(void* p)
    {
        lock (_quarantine)
        {
            if (_quarantined.Contains((nint)p)) throw DoubleFree(p);
        }
    }

    private ArgumentException DoubleFree(void* p)
        => new($"The pointer 0x{(nuint)p:x} was already freed (it is in kind '{heap.Name}''s quarantine).", "ptr");

    private static ulong Canary(void* p) => (ulong)p ^ s_secret;

    private static void Fill(void* p, nuint size, byte value)
    {
        // The first word will hold the allocator's free-list link once the block is really freed: junk starts after it.
        if (size > 8) NativeMemory.Fill((byte*)p + 8, size - 8, value);
    }

    private static long FirstNotJunk(void* p, nuint size)
    {
        if (size <= 8) return -1;
        nuint length = size - 8;
        if (length <= 2 * JunkCheckBytes) return Offset(new ReadOnlySpan<byte>((byte*)p + 8, (int)length).IndexOfAnyExcept(FreeJunk), 8);
        long head = Offset(new ReadOnlySpan<byte>((byte*)p + 8, JunkCheckBytes).IndexOfAnyExcept(FreeJunk), 8);
        if (head >= 0) return head;
        nuint tailStart = size - JunkCheckBytes;
        return Offset(new ReadOnlySpan<byte>((byte*)p + tailStart, JunkCheckBytes).IndexOfAnyExcept(FreeJunk), (long)tailStart);
    }

    private static long Offset(int index, long start) => index < 0 ? -1 : start + index;
}
