using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MemoryKinds;

/// <summary>What the placement part allocates from. Structs, so the loops are specialized per target with direct calls.</summary>
internal unsafe interface IPairTarget
{
    void* Alloc(nuint size);
    void Free(void* ptr);
}

/// <summary>A plain kind.</summary>
internal readonly unsafe struct KindTarget(MemoryKind kind) : IPairTarget
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Alloc(nuint size) => kind.Alloc(size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Free(void* ptr) => kind.Free(ptr);
}

/// <summary>Tiered memory: placement by its policy, frees through its tier lookup and counts.</summary>
internal readonly unsafe struct TieredTarget(TieredMemory tiers) : IPairTarget
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Alloc(nuint size) => tiers.Alloc(size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Free(void* ptr) => tiers.Free(ptr);
}

/// <summary>
/// The measured loops. They and <see cref="MixBlocks.Run"/> are compiled fully optimized at once, for every contender
/// alike: under tiered compilation the tiered contenders' loops never left on-stack-replacement code in a run while the
/// plain kinds' reached tier 1 (DOTNET_JitDisasmSummary), so "added" compared differently compiled loops.
/// </summary>
internal static unsafe class PairLoops
{
    /// <summary><paramref name="count"/> times: allocate <paramref name="size"/> bytes, free them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pairs<T>(T target, nuint size, int count) where T : struct, IPairTarget
    {
        for (int i = 0; i < count; i++) target.Free(target.Alloc(size));
    }
}

/// <summary>
/// One thread's random-size mix, as bench/MemoryKinds.Benchmarks' RandomMix: <see cref="Live"/> live blocks of 16-1024 B;
/// each step frees a random slot's block and allocates a random size into it, from a precomputed seeded sequence.
/// </summary>
internal sealed unsafe class MixBlocks : IDisposable
{
    public const int Live = 1000;
    public const int MinSize = 16, MaxSize = 1024;
    private const int Steps = 1 << 16;

    private readonly void** _slots;
    private readonly uint* _sizes;
    private readonly ushort* _slotOfStep;
    private int _cursor;

    public MixBlocks(int seed)
    {
        _slots = (void**)NativeMemory.AllocZeroed(Live, (nuint)sizeof(void*));
        _sizes = (uint*)NativeMemory.Alloc(Steps + Live, sizeof(uint));
        _slotOfStep = (ushort*)NativeMemory.Alloc(Steps, sizeof(ushort));
        var random = new Random(seed);
        for (int i = 0; i < Steps + Live; i++) _sizes[i] = (uint)random.Next(MinSize, MaxSize + 1);
        for (int i = 0; i < Steps; i++) _slotOfStep[i] = (ushort)random.Next(Live);
    }

    public bool Filled { get; private set; }

    public void Fill<T>(T target) where T : struct, IPairTarget
    {
        for (int i = 0; i < Live; i++) _slots[i] = target.Alloc(_sizes[Steps + i]);
        Filled = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run<T>(T target, int count) where T : struct, IPairTarget
    {
        void** slots = _slots;
        int cursor = _cursor;
        for (int i = 0; i < count; i++)
        {
            int step = cursor++ & (Steps - 1);
            void** slot = slots + _slotOfStep[step];
            target.Free(*slot);
            *slot = target.Alloc(_sizes[step]);
        }
        _cursor = cursor;
    }

    public void Drain<T>(T target) where T : struct, IPairTarget
    {
        if (!Filled) return;
        for (int i = 0; i < Live; i++) target.Free(_slots[i]);
        Filled = false;
    }

    public void Dispose()
    {
        NativeMemory.Free(_slots);
        NativeMemory.Free(_sizes);
        NativeMemory.Free(_slotOfStep);
    }
}
