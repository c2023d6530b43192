using System.Diagnostics.Metrics;

namespace MemoryKinds.Tests;

/// <summary>GetCounters, ResetPeaks and Trim, and their instruments on the MemoryKinds meter.</summary>
public sealed unsafe class CountersTests
{
    [Theory]
    [InlineData(MemoryUsagePolicy.Default)]
    [InlineData(MemoryUsagePolicy.Conservative)]
    public void AllocationsAndFreesAreCountedOnEveryPath(MemoryUsagePolicy policy)
    {
        using PmemKind kind = PmemKind.Create(new PmemConfig(TestDirectories.Tmpfs) { Size = 64L << 20, UsagePolicy = policy });
        var blocks = new List<nint>();
        for (int i = 0; i < 1000; i++) blocks.Add((nint)kind.Alloc((nuint)(16 + i % 700)));   // small, fast path
        for (int i = 0; i < 5; i++) blocks.Add((nint)kind.Alloc(3u << 20));                  // large, under the lock
        blocks.Add((nint)kind.AlignedAlloc(100, 1 << 17));                                   // aligned past a slice
        blocks.Add((nint)kind.AllocZeroed(10, 100));
        Assert.Equal(new KindCounters(1007, 0, 0, kind.GetCounters().PeakActive, kind.GetCounters().PeakResident), kind.GetCounters());

        // Half freed here, half by another thread (remote frees of small blocks, and large ones).
        for (int i = 0; i < blocks.Count; i += 2) kind.Free((void*)blocks[i]);
        var other = new Thread(() => { for (int i = 1; i < blocks.Count; i += 2) kind.Free((void*)blocks[i]); });
        other.Start();
        other.Join();
        KindCounters counters = kind.GetCounters();
        Assert.Equal(1007, counters.Allocations);
        Assert.Equal(1007, counters.Frees);
        Assert.True(kind.TryAlloc(1u << 30) == null);
        Assert.Equal(1, kind.GetCounters().FailedAllocations);
    }

    [Fact]
    public void AMovingReallocCountsAsAnAllocationAndAFree()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, 32L << 20);
        void* p = kind.Alloc(100);
        void* q = kind.Realloc(p, 5000);
        Assert.True(p != q);
        kind.Free(q);
        KindCounters counters = kind.GetCounters();
        Assert.Equal((2L, 2L), (counters.Allocations, counters.Frees));
    }

    [Fact]
    public void PeaksKeepTheHighestUntilReset()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, 64L << 20);
        var blocks = Enumerable.Range(0, 20).Select(_ => (nint)kind.Alloc(1u << 20)).ToList();
        KindStats full = kind.GetStats();
        foreach (nint p in blocks) kind.Free((void*)p);
        KindCounters afterFree = kind.GetCounters();
        Assert.True(afterFree.PeakActive >= full.Active && full.Active >= 20L << 20, $"peak active {afterFree.PeakActive}, active when full {full.Active}");
        Assert.True(afterFree.PeakResident >= full.Resident, $"peak resident {afterFree.PeakResident}, resident when full {full.Resident}");
        Assert.True(kind.GetStats().Active < afterFree.PeakActive);

        kind.ResetPeaks();
        KindStats now = kind.GetStats();
        KindCounters reset = kind.GetCounters();
        Assert.Equal((now.Active, now.Resident), (reset.PeakActive, reset.PeakResident));
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void TrimGivesBackCachedPagesAndFreeStorageNow(string fileSystem)
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Get(fileSystem), 64L << 20);
        var blocks = new List<nint>();
        for (int i = 0; i < 20_000; i++) blocks.Add((nint)kind.Alloc((nuint)(32 + i % 2000)));
        for (int i = 0; i < 10; i++) blocks.Add((nint)kind.Alloc(2u << 20));
        nint keep = blocks[^1];
        foreach (nint p in blocks[..^1]) kind.Free((void*)p);
        KindStats before = kind.GetStats();
        Assert.True(before.Resident > 4L << 20, $"Resident {before.Resident} before Trim: the Default policy should still hold freed storage.");

        long released = kind.Trim();
        KindStats after = kind.GetStats();
        Assert.Equal(before.Resident - after.Resident, released);
        // Only the one live 2 MiB block keeps storage; the file agrees.
        Assert.Equal(2L << 20, after.Resident);
        Assert.Equal(2L << 20, after.Active);
        Assert.True(kind.Source.StorageBytes <= (2L << 20) + (256 << 10), $"{fileSystem}: the file holds {kind.Source.StorageBytes} bytes after Trim.");
        Assert.Equal(0, kind.Trim());
        kind.Validate();
        kind.Free((void*)keep);
    }

    [Fact]
    public void TrimWorksOnTheDefaultKindAndHardenedKinds()
    {
        void* p = MemoryKind.Default.Alloc(1u << 20);
        MemoryKind.Default.Free(p);
        Assert.True(MemoryKind.Default.Trim() >= 0);
        MemoryKind.Default.Validate();

        using MemoryKind hardened = MemoryKind.Create("trim-hardened", new AnonymousMemorySource(), MemoryUsagePolicy.Default, hardened: true);
        void* q = hardened.Alloc(100_000);
        hardened.Free(q);
        Assert.True(hardened.Trim() >= 0);
        hardened.Validate();
    }

    [Fact]
    public void CountersAreOnTheMeter()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, 32L << 20);
        for (int i = 0; i < 10; i++) kind.Free(kind.Alloc(64));
        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MemoryKind.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == MemoryKind.KindTagName && (string?)tag.Value == kind.Name) seen[instrument.Name] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Equal(10, seen["memorykinds.allocations"]);
        Assert.Equal(10, seen["memorykinds.frees"]);
        Assert.Equal(kind.GetCounters().PeakActive, seen["memorykinds.memory.peak_active"]);
        Assert.Equal(kind.GetCounters().PeakResident, seen["memorykinds.memory.peak_resident"]);
    }
}
