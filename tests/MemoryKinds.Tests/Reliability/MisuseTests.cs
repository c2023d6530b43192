using System.Runtime.InteropServices;

namespace MemoryKinds.Tests.Reliability;

/// <summary>
/// The caller's bugs: double free (also A, B, A; across threads; two threads at once), a pointer into the middle of a
/// block, a stack or NativeMemory pointer, wild addresses, the wrong kind, a disposed kind, realloc of a freed block.
/// Each is reported with a typed exception, nothing changes, Validate() passes afterwards, and no block is handed out
/// twice. (libvmem hands a double-freed block out twice; memkind crashes later; both crash on foreign pointers.)
/// </summary>
public unsafe class MisuseTests
{
    private static readonly nuint[] Sizes = [0, 16, 100, 4000, 100_000, 600_000, 3u << 20];

    public static TheoryData<string, MemoryUsagePolicy> FileSystemsAndPolicies => new()
    {
        { "ext4", MemoryUsagePolicy.Default }, { "ext4", MemoryUsagePolicy.Conservative },
        { "tmpfs", MemoryUsagePolicy.Default }, { "tmpfs", MemoryUsagePolicy.Conservative },
    };

    private static PmemKind NewKind(string fs, MemoryUsagePolicy policy, long limit = 64L << 20)
        => PmemKind.Create(new PmemConfig(TestDirectories.Get(fs)) { Size = limit, UsagePolicy = policy });

    private static void AssertRejected<T>(string what, Action call) where T : Exception
    {
        Exception? e = Record.Exception(call);
        Assert.True(e?.GetType() == typeof(T), $"{what}: expected {typeof(T).Name}, got {(e is null ? "no exception" : e.GetType().Name + ": " + e.Message)}.");
    }

    private static void AssertRejectedEverywhere(MemoryKind kind, void* p, string what)
    {
        AssertRejected<ArgumentException>($"Free({what})", () => kind.Free(p));
        AssertRejected<ArgumentException>($"Realloc({what}, 64)", () => kind.Realloc(p, 64));
        AssertRejected<ArgumentException>($"TryRealloc({what}, 64)", () => kind.TryRealloc(p, 64));
        AssertRejected<ArgumentException>($"GetUsableSize({what})", () => kind.GetUsableSize(p));
        AssertRejected<ArgumentException>($"DefragRealloc({what})", () => kind.DefragRealloc(p));
    }

    /// <summary>Allocates many blocks of every size and checks that none is a block still live (or handed out twice now).</summary>
    private static void AssertNoBlockHandedOutTwice(MemoryKind kind, ICollection<nint> live, string when)
    {
        var seen = new HashSet<nint>(live);
        var fresh = new List<nint>();
        foreach (nuint size in Sizes)
        {
            for (int i = 0; i < (size > 100_000 ? 4 : 200); i++)
            {
                void* p = kind.TryAlloc(size);
                if (p == null) break;
                Assert.True(seen.Add((nint)p), $"{when}: Alloc({size}) returned 0x{(nint)p:x}, which is already live: a block handed out twice.");
                fresh.Add((nint)p);
            }
        }
        foreach (nint p in fresh) kind.Free((void*)p);
        kind.Validate();
    }

    [Theory]
    [MemberData(nameof(FileSystemsAndPolicies))]
    public void DoubleFreeIsRejectedAndTheBlockIsNotHandedOutTwice(string fs, MemoryUsagePolicy policy)
    {
        using PmemKind kind = NewKind(fs, policy);
        var live = new List<nint>();
        foreach (nuint size in Sizes)
        {
            // A neighbour keeps the page alive, so the freed block's page is not simply released.
            live.Add((nint)kind.Alloc(size));
            void* p = kind.Alloc(size);
            kind.Free(p);
            AssertRejected<ArgumentException>($"second Free of a {size}-byte block", () => kind.Free(p));
            AssertRejectedEverywhere(kind, p, $"freed {size}-byte block");
            kind.Validate();
            void* a = kind.Alloc(size), b = kind.Alloc(size);
            Assert.True(a != b, $"After a double free of a {size}-byte block, two allocations returned the same block 0x{(nint)a:x}.");
            live.Add((nint)a);
            live.Add((nint)b);
        }
        AssertNoBlockHandedOutTwice(kind, live, $"after double frees ({fs}, {policy})");
        foreach (nint p in live) kind.Free((void*)p);
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    [Theory]
    [MemberData(nameof(FileSystemsAndPolicies))]
    public void DoubleFreeABAIsRejected(string fs, MemoryUsagePolicy policy)
    {
        using PmemKind kind = NewKind(fs, policy);
        var live = new List<nint>();
        foreach (nuint size in Sizes)
        {
            void* a = kind.Alloc(size), b = kind.Alloc(size);
            live.Add((nint)kind.Alloc(size));
            kind.Free(a);
            kind.Free(b);
            AssertRejected<ArgumentException>($"Free(A) after Free(A), Free(B) ({size} bytes)", () => kind.Free(a));
            AssertRejected<ArgumentException>($"Free(B) after that ({size} bytes)", () => kind.Free(b));
            kind.Validate();
            void* x = kind.Alloc(size), y = kind.Alloc(size), z = kind.Alloc(size);
            Assert.True(x != y && y != z && x != z, $"After A, B, A frees of {size}-byte blocks, allocations returned one block twice.");
            live.AddRange([(nint)x, (nint)y, (nint)z]);
        }
        AssertNoBlockHandedOutTwice(kind, live, $"after A, B, A ({fs}, {policy})");
        foreach (nint p in live) kind.Free((void*)p);
    }

    /// <summary>Freed by another thread (a remote free, pending on the owner's page), then freed again here and from a third thread.</summary>
    [Theory]
    [MemberData(nameof(FileSystemsAndPolicies))]
    public void DoubleFreeAcrossThreadsIsRejected(string fs, MemoryUsagePolicy policy)
    {
        using PmemKind kind = NewKind(fs, policy);
        var live = new List<nint>();
        foreach (nuint size in Sizes)
        {
            live.Add((nint)kind.Alloc(size));
            void* p = kind.Alloc(size);
            OnThread(() => kind.Free(p));
            AssertRejected<ArgumentException>($"Free on the owner thread of a {size}-byte block another thread freed", () => kind.Free(p));
            OnThread(() => AssertRejected<ArgumentException>($"Free on a third thread of a {size}-byte block freed already", () => kind.Free(p)));
            kind.Validate();
            live.Add((nint)kind.Alloc(size));
        }
        AssertNoBlockHandedOutTwice(kind, live, $"after cross-thread double frees ({fs}, {policy})");
        foreach (nint p in live) kind.Free((void*)p);
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    /// <summary>
    /// Two threads free the same block at the same moment: exactly one Free succeeds and the other reports
    /// ArgumentException; the block is then handed out once.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void RacingDoubleFreeIsReportedOnceAndTheBlockHandedOutOnce(string fs)
    {
        using PmemKind kind = NewKind(fs, MemoryUsagePolicy.Default);
        const int Rounds = 3000;
        nint target = 0;
        var outcomes = new Exception?[2];
        var unexpected = new List<string>();
        var start = new Barrier(3);
        int bothSucceeded = 0, bothFailed = 0, rounds = 0;
        var threads = new Thread[2];
        for (int t = 0; t < 2; t++)
        {
            int id = t;
            threads[t] = new Thread(() =>
            {
                // Never throws: a failure on this thread must not take the test host down, and the barrier times out
                // if the main thread stops.
                for (int r = 0; r < Rounds; r++)
                {
                    if (!start.SignalAndWait(TimeSpan.FromSeconds(20))) return;
                    outcomes[id] = Record.Exception(() => kind.Free((void*)Volatile.Read(ref target)));
                    if (!start.SignalAndWait(TimeSpan.FromSeconds(20))) return;
                }
            });
            threads[t].Start();
        }
        var live = new List<nint>();
        try
        {
            for (int r = 0; r < Rounds; r++, rounds++)
            {
                // Blocks owned by this (third) thread: both frees are remote, racing on the same bitmap bit.
                Volatile.Write(ref target, (nint)kind.Alloc(64));
                live.Add((nint)kind.Alloc(64));
                if (!start.SignalAndWait(TimeSpan.FromSeconds(20)) || !start.SignalAndWait(TimeSpan.FromSeconds(20)))
                {
                    unexpected.Add($"round {r}: a freeing thread stopped answering");
                    break;
                }
                int failed = outcomes.Count(e => e is not null);
                foreach (Exception? e in outcomes)
                    if (e is not null and not ArgumentException) unexpected.Add($"round {r}: a racing Free threw {e}");
                if (failed == 0) bothSucceeded++;
                if (failed == 2) bothFailed++;
            }
        }
        finally
        {
            foreach (Thread t in threads) t.Join();
            start.Dispose();
        }
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected.Take(5)));
        kind.Validate();
        AssertNoBlockHandedOutTwice(kind, live, "after racing double frees");
        foreach (nint p in live) kind.Free((void*)p);
        kind.Validate();
        Assert.True(bothFailed == 0, $"In {bothFailed} of {rounds} rounds both racing frees were refused (the block leaked).");
        Assert.True(bothSucceeded == 0, $"In {bothSucceeded} of {rounds} rounds both racing frees of one block returned normally: the double free went unreported.");
    }

    [Theory]
    [MemberData(nameof(FileSystemsAndPolicies))]
    public void InteriorPointersAreRejectedAndTheBlockStaysIntact(string fs, MemoryUsagePolicy policy)
    {
        using PmemKind kind = NewKind(fs, policy);
        foreach (nuint size in new nuint[] { 32, 100, 4000, 100_000, 600_000, 3u << 20 })
        {
            byte* p = (byte*)kind.Alloc(size);
            nuint usable = kind.GetUsableSize(p);
            new Span<byte>(p, (int)size).Fill(0x6B);
            foreach (nuint offset in new nuint[] { 1, 8, 16, 48, size / 2 & ~(nuint)15, usable - 16, 4096, 65536 }.Where(o => o > 0 && o < usable).Distinct())
                AssertRejectedEverywhere(kind, p + offset, $"block + {offset} of a {size}-byte block");
            AssertRejectedEverywhere(kind, p - 16, $"16 bytes before a {size}-byte block");
            Assert.Equal(usable, kind.GetUsableSize(p));
            Assert.True(new ReadOnlySpan<byte>(p, (int)size).IndexOfAnyExcept((byte)0x6B) < 0, $"A refused interior free changed the {size}-byte block.");
            kind.Validate();
            kind.Free(p);
        }
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    [Theory]
    [MemberData(nameof(FileSystemsAndPolicies))]
    public void StackNativeMemoryAndWildPointersAreRejected(string fs, MemoryUsagePolicy policy)
    {
        using PmemKind kind = NewKind(fs, policy, limit: PmemKind.MinSize);
        byte* live = (byte*)kind.Alloc(100);
        byte* stack = stackalloc byte[64];
        void* native = NativeMemory.Alloc(64);
        nint hglobal = Marshal.AllocHGlobal(64);
        void* dram = MemoryKind.Default.Alloc(64);
        try
        {
            AssertRejectedEverywhere(kind, stack, "a stack address");
            AssertRejectedEverywhere(kind, native, "a NativeMemory.Alloc pointer");
            AssertRejectedEverywhere(kind, (void*)hglobal, "a Marshal.AllocHGlobal pointer");
            AssertRejectedEverywhere(kind, dram, "a block of MemoryKind.Default");
            // Far below the frontier (never grown, PROT_NONE), the last 16 bytes of the reservation, and addresses no process owns.
            byte* unGrown = live + (12 << 20);
            foreach ((nint address, string what) in new[]
            {
                ((nint)unGrown, "an address inside the kind's reservation that was never grown into"),
                ((nint)1, "address 1"), ((nint)16, "address 16"), ((nint)0x1000, "address 0x1000"),
                (unchecked((nint)0x7FFF_FFFF_F000), "the top of the user address space"),
                (unchecked((nint)0xFFFF_8000_0000_0000), "a kernel address"), (unchecked((nint)0xFFFF_FFFF_FFFF_FFF0), "-16"),
                ((nint)live + 8, "an address 8 bytes into a block (not 16-aligned)"),
            })
            {
                AssertRejectedEverywhere(kind, (void*)address, what);
                AssertRejected<ArgumentException>($"MemoryKind.FreeAny({what})", () => MemoryKind.FreeAny((void*)address));
            }
            // free(NULL) is a no-op, as in libc.
            kind.Free(null);
            MemoryKind.FreeAny(null);
            Assert.Equal((nuint)0, kind.GetUsableSize(null));
            AssertRejected<ArgumentException>("MemoryKind.FreeAny(a stack address)", () => MemoryKind.FreeAny(stack));
            AssertRejected<ArgumentException>("MemoryKind.FreeAny(a NativeMemory pointer)", () => MemoryKind.FreeAny(native));
            Assert.Null(MemoryKind.Detect(stack));
            Assert.Null(MemoryKind.Detect(native));
            kind.Validate();
        }
        finally
        {
            NativeMemory.Free(native);
            Marshal.FreeHGlobal(hglobal);
            MemoryKind.Default.Free(dram);
        }
        kind.Free(live);
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    /// <summary>
    /// A block freed through another kind: refused with the owner named, nothing moves. With memkind, a pmem block
    /// freed through MEMKIND_DEFAULT is later handed out by the DRAM kind.
    /// </summary>
    [Theory]
    [MemberData(nameof(FileSystemsAndPolicies))]
    public void TheWrongKindIsRejected(string fs, MemoryUsagePolicy policy)
    {
        using PmemKind a = NewKind(fs, policy), b = NewKind(fs, policy);
        var liveA = new List<nint>();
        foreach (nuint size in Sizes)
        {
            void* p = a.Alloc(size);
            liveA.Add((nint)p);
            ArgumentException e = Assert.Throws<ArgumentException>(() => b.Free(p));
            Assert.Contains(a.Name, e.Message);
            AssertRejectedEverywhere(b, p, $"kind A's {size}-byte block through kind B");
            AssertRejectedEverywhere(MemoryKind.Default, p, $"a pmem {size}-byte block through MemoryKind.Default");
            void* d = MemoryKind.Default.Alloc(size);
            AssertRejectedEverywhere(a, d, $"a MemoryKind.Default {size}-byte block through a pmem kind");
            MemoryKind.Default.Free(d);
            Assert.Same(a, MemoryKind.Detect(p));
        }
        a.Validate();
        b.Validate();
        // MEMKIND_DEFAULT must not start handing out file-backed memory.
        for (int i = 0; i < 1000; i++)
        {
            void* d = MemoryKind.Default.Alloc(64);
            Assert.False(liveA.Contains((nint)d), "MemoryKind.Default handed out a block of a pmem kind.");
            MemoryKind.Default.Free(d);
        }
        AssertNoBlockHandedOutTwice(a, liveA, "kind A after wrong-kind frees");
        AssertNoBlockHandedOutTwice(b, [], "kind B after wrong-kind frees");
        // The blocks still belong to A: FreeAny finds it.
        foreach (nint p in liveA) MemoryKind.FreeAny((void*)p);
        Assert.Equal(0, a.GetStats().Allocated);
        Assert.Equal(0, b.GetStats().Allocated);
    }

    [Theory]
    [MemberData(nameof(FileSystemsAndPolicies))]
    public void CallsOnADisposedKindThrowObjectDisposedException(string fs, MemoryUsagePolicy policy)
    {
        PmemKind kind = NewKind(fs, policy);
        using PmemKind other = NewKind(fs, policy);
        void* small = kind.Alloc(100), large = kind.Alloc(3u << 20);
        kind.Dispose();
        foreach ((nint p, string what) in new[] { ((nint)small, "small"), ((nint)large, "large") })
        {
            AssertRejected<ObjectDisposedException>($"Free of a {what} block after Dispose", () => kind.Free((void*)p));
            AssertRejected<ObjectDisposedException>($"Realloc of a {what} block after Dispose", () => kind.Realloc((void*)p, 10));
            AssertRejected<ObjectDisposedException>($"GetUsableSize of a {what} block after Dispose", () => kind.GetUsableSize((void*)p));
            // No live kind owns the address any more.
            AssertRejected<ArgumentException>($"MemoryKind.FreeAny of a {what} block of a disposed kind", () => MemoryKind.FreeAny((void*)p));
            AssertRejectedEverywhere(other, (void*)p, $"a {what} block of a disposed kind, through another kind");
            Assert.Null(MemoryKind.Detect((void*)p));
        }
        AssertRejected<ObjectDisposedException>("Validate after Dispose", kind.Validate);
        other.Validate();
    }

    [Theory]
    [MemberData(nameof(FileSystemsAndPolicies))]
    public void ReallocOfAFreedBlockIsRejectedAndDoesNotResurrectIt(string fs, MemoryUsagePolicy policy)
    {
        using PmemKind kind = NewKind(fs, policy);
        var live = new List<nint>();
        foreach (nuint size in Sizes)
        {
            live.Add((nint)kind.Alloc(size));
            void* p = kind.Alloc(size);
            kind.Free(p);
            foreach (nuint newSize in new nuint[] { 0, 8, size, size + 1, 2 * size + 100, 4u << 20 })
            {
                AssertRejected<ArgumentException>($"Realloc(freed {size}-byte block, {newSize})", () => kind.Realloc(p, newSize));
                AssertRejected<ArgumentException>($"TryRealloc(freed {size}-byte block, {newSize})", () => kind.TryRealloc(p, newSize));
            }
            AssertRejected<ArgumentException>($"Free after the refused reallocs ({size} bytes)", () => kind.Free(p));
            kind.Validate();
        }
        AssertNoBlockHandedOutTwice(kind, live, $"after reallocs of freed blocks ({fs}, {policy})");
        foreach (nint p in live) kind.Free((void*)p);
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    private static void OnThread(Action action)
    {
        Exception? error = null;
        var thread = new Thread(() => error = Record.Exception(action));
        thread.Start();
        thread.Join();
        if (error is not null) throw new Xunit.Sdk.XunitException($"On another thread: {error}");
    }
}
