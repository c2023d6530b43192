using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

/// <summary>
/// One cache configuration: a value per key in its <see cref="ValueMemory"/>, and the replay of the shared trace. A get
/// copies the value out (as a cache hands bytes to its caller) and checks the key in its header; a set writes a new
/// version, into a new block freed after the old one (replace) or over the old one (overwrite). With a
/// <see cref="PromotionSweep"/>, one access in N is counted on its entry and every so many operations the sweep moves
/// entries between the tiers, inside the timed operations. One thread.
/// </summary>
internal sealed unsafe class CacheUnderTest : IDisposable
{
    private readonly CacheEntry[] _entries;
    private readonly byte* _payload;
    private readonly byte* _readBuffer;
    private readonly bool _setsReplace;
    private readonly long _penaltyTicks;
    private readonly int _sampleEvery;
    private readonly int _sweepEvery;
    private int _sampleCountdown;
    private int _sinceSweep;
    private long _position;

    public CacheUnderTest(string name, ValueMemory memory, PromotionSweep? promotion, BenchOptions options, byte* payload)
    {
        Name = name;
        Memory = memory;
        Promotion = promotion;
        _entries = new CacheEntry[options.Keys];
        _payload = payload;
        _readBuffer = (byte*)NativeMemory.AlignedAlloc((nuint)options.MaxValue, 64);
        _setsReplace = options.SetsReplace;
        _penaltyTicks = options.PmemPenaltyNs * Stopwatch.Frequency / 1_000_000_000;
        _sampleEvery = options.SampleEvery;
        _sampleCountdown = options.SampleEvery;
        _sweepEvery = options.SweepEvery;
    }

    public string Name { get; }

    public ValueMemory Memory { get; }

    public PromotionSweep? Promotion { get; }

    public ReadOnlySpan<CacheEntry> Entries => _entries;

    /// <summary>How many keys' values are in DRAM now.</summary>
    public int KeysInDram => _entries.Count(e => e.InDram);

    /// <summary>Gets, gets of a value that was in DRAM, and sets since <see cref="ResetCounts"/>.</summary>
    public long Gets { get; private set; }
    public long DramGets { get; private set; }
    public long Sets { get; private set; }

    /// <summary>Kernel CPU time and minor page faults of the replaying thread during <see cref="Run"/>, since <see cref="ResetCounts"/>.</summary>
    public long KernelMicroseconds { get; private set; }
    public long MinorFaults { get; private set; }

    /// <summary>Puts a first version of every key's value (not timed).</summary>
    public void Fill(int[] lengths)
    {
        for (int key = 0; key < _entries.Length; key++)
        {
            ref CacheEntry entry = ref _entries[key];
            entry.Length = lengths[key];
            entry.Value = Write((byte*)Memory.Alloc((nuint)entry.Length), key, entry.Length, version: 0);
            entry.InDram = Memory.IsDram(entry.Value);
            if (entry.InDram) Memory.NoteDramGrowth();
        }
    }

    public void ResetCounts() => Gets = DramGets = Sets = KernelMicroseconds = MinorFaults = 0;

    /// <summary>Replays the next <paramref name="count"/> operations of the trace; returns the Stopwatch ticks they took.</summary>
    public long Run(OperationTrace trace, int count)
    {
        CacheEntry[] entries = _entries;
        PromotionSweep? promotion = Promotion;
        var before = ThreadTimes.Now();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            int operation = trace[_position++];
            int key = operation & ~OperationTrace.SetFlag;
            ref CacheEntry entry = ref entries[key];
            if (promotion is not null && --_sampleCountdown == 0)
            {
                _sampleCountdown = _sampleEvery;
                if (entry.Hits < ushort.MaxValue) entry.Hits++;
            }
            if (operation < 0) Set(ref entry, key);
            else Get(ref entry, key);
            if (promotion is not null && ++_sinceSweep == _sweepEvery)
            {
                _sinceSweep = 0;
                promotion.Sweep(entries);
            }
        }
        long ticks = Stopwatch.GetTimestamp() - start;
        var after = ThreadTimes.Now();
        KernelMicroseconds += after.KernelMicroseconds - before.KernelMicroseconds;
        MinorFaults += after.MinorFaults - before.MinorFaults;
        return ticks;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Get(ref CacheEntry entry, int key)
    {
        Gets++;
        if (entry.InDram) DramGets++;
        else if (_penaltyTicks != 0) Spin(_penaltyTicks);
        Buffer.MemoryCopy(entry.Value, _readBuffer, entry.Length, entry.Length);
        if (*(int*)_readBuffer != key) ThrowWrongValue(key, *(int*)_readBuffer);
    }

    private void Set(ref CacheEntry entry, int key)
    {
        Sets++;
        int version = entry.Version + 1;
        if (_setsReplace)
        {
            // With promotion, a key whose value is in DRAM is hot: its new value stays there (TieredMemory.AllocIn) instead
            // of going where StaticRatio, blind to heat, would put it. Without promotion the policy places every value.
            void* block = Promotion is not null && entry.InDram ? Memory.AllocInDram((nuint)entry.Length) : Memory.Alloc((nuint)entry.Length);
            byte* fresh = Write((byte*)block, key, entry.Length, version);
            byte* old = entry.Value;
            entry.Value = fresh;
            entry.InDram = Memory.IsDram(fresh);
            Memory.Free(old);
            // DRAM's share is read once the set is done: while both values live, a set kept in DRAM holds one value twice.
            if (entry.InDram) Memory.NoteDramGrowth();
        }
        else
        {
            Write(entry.Value, key, entry.Length, version);
        }
        entry.Version = version;
        if (!entry.InDram && _penaltyTicks != 0) Spin(_penaltyTicks);
    }

    private byte* Write(byte* value, int key, int length, int version)
    {
        Buffer.MemoryCopy(_payload, value, length, length);
        ((int*)value)[0] = key;
        ((int*)value)[1] = version;
        return value;
    }

    /// <summary>EMULATION of a slower tier (--pmem-penalty-ns): waits on the clock.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Spin(long ticks)
    {
        long until = Stopwatch.GetTimestamp() + ticks;
        while (Stopwatch.GetTimestamp() < until) { }
    }

    /// <summary>Every value's header and bytes, and whether <see cref="CacheEntry.InDram"/> is where it is; the problems found.</summary>
    public List<string> Verify()
    {
        var problems = new List<string>();
        for (int key = 0; key < _entries.Length && problems.Count < 5; key++)
        {
            CacheEntry entry = _entries[key];
            byte* value = entry.Value;
            if (((int*)value)[0] != key || ((int*)value)[1] != entry.Version)
                problems.Add($"key {key}: header ({((int*)value)[0]}, v{((int*)value)[1]}), expected ({key}, v{entry.Version})");
            else if (!new ReadOnlySpan<byte>(value + CacheEntry.HeaderBytes, entry.Length - CacheEntry.HeaderBytes)
                         .SequenceEqual(new ReadOnlySpan<byte>(_payload + CacheEntry.HeaderBytes, entry.Length - CacheEntry.HeaderBytes)))
                problems.Add($"key {key}: the value's bytes differ from what was written");
            if (entry.InDram != Memory.IsDram(value)) problems.Add($"key {key}: recorded as {(entry.InDram ? "DRAM" : "pmem")}, is not");
        }
        return problems;
    }

    /// <summary>Frees every value; the memory's bytes should then be zero.</summary>
    public void FreeAll()
    {
        for (int key = 0; key < _entries.Length; key++)
        {
            if (_entries[key].Value == null) continue;
            Memory.Free(_entries[key].Value);
            _entries[key].Value = null;
        }
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_readBuffer);
        Memory.Dispose();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowWrongValue(int key, int found) => throw new InvalidDataException($"{Name}: a get of key {key} read the value of key {found}.");
}
