using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;

namespace MemoryKinds.Tests.SafeSurface;

/// <summary>The MemoryKinds meter (read with MeterListener), the live-kind registry and the stats report.</summary>
public unsafe class ObservabilityTests
{
    /// <summary>Collects the MemoryKinds meter's measurements, by instrument and kind tag ("" when untagged).</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        public ConcurrentDictionary<(string Instrument, string Kind), long> Last { get; } = new();
        public ConcurrentDictionary<(string Instrument, string Kind), long> Sums { get; } = new();
        public ConcurrentDictionary<string, string?> Units { get; } = new();

        public Recorder()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name != MemoryKind.MeterName) return;
                Units[instrument.Name] = instrument.Unit;
                listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
            _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
            _listener.Start();
        }

        private void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string kind = "";
            foreach (KeyValuePair<string, object?> tag in tags)
                if (tag.Key == MemoryKind.KindTagName) kind = (string)tag.Value!;
            Last[(instrument.Name, kind)] = value;
            Sums.AddOrUpdate((instrument.Name, kind), value, (_, sum) => sum + value);
        }

        /// <summary>Polls the observable instruments, forgetting what they reported before.</summary>
        public void Observe()
        {
            foreach (var key in Last.Keys)
                if (key.Instrument != "memorykinds.allocation.failures") Last.TryRemove(key, out _);
            _listener.RecordObservableInstruments();
        }

        public long? Get(string instrument, string kind = "") => Last.TryGetValue((instrument, kind), out long value) ? value : null;

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public void MeterPublishesPerKindFigures()
    {
        using var recorder = new Recorder();
        using PmemKind kind = PmemKind.Create(new PmemConfig(TestDirectories.Tmpfs) { Size = 32L << 20, UsagePolicy = MemoryUsagePolicy.Conservative });
        void* block = kind.Alloc(3 << 20);
        new Span<byte>(block, 3 << 20).Fill(1);

        recorder.Observe();
        KindStats stats = kind.GetStats();
        Assert.Equal(stats.Allocated, recorder.Get("memorykinds.memory.allocated", kind.Name));
        Assert.Equal(stats.Active, recorder.Get("memorykinds.memory.active", kind.Name));
        Assert.Equal(stats.Resident, recorder.Get("memorykinds.memory.resident", kind.Name));
        long? file = recorder.Get("memorykinds.memory.file", kind.Name);
        Assert.NotNull(file);
        Assert.True(file >= 3 << 20, $"file bytes {file}");
        Assert.True(recorder.Get("memorykinds.kinds.alive") >= 2); // this kind and the default kind
        // The default kind is always there; DRAM has no file figure.
        Assert.NotNull(recorder.Get("memorykinds.memory.allocated", MemoryKind.Default.Name));
        Assert.Null(recorder.Get("memorykinds.memory.file", MemoryKind.Default.Name));
        Assert.Equal("By", recorder.Units["memorykinds.memory.allocated"]);

        kind.Free(block);
        recorder.Observe();
        Assert.Equal(0, recorder.Get("memorykinds.memory.allocated", kind.Name));

        kind.Dispose();
        recorder.Observe();
        Assert.Null(recorder.Get("memorykinds.memory.allocated", kind.Name)); // disposed kinds are not reported
        Assert.Null(recorder.Get("memorykinds.memory.file", kind.Name));
    }

    [Fact]
    public void KindsAliveCountsCreationAndDisposal()
    {
        // Other tests create and dispose kinds in parallel, so check the registry itself for these kinds.
        PmemKind a = PmemKind.Create(TestDirectories.Tmpfs);
        MemoryKind b = MemoryKind.Create("safe-surface-custom", new AnonymousMemorySource(16L << 20));
        List<MemoryKind> live = KindTracker.Snapshot();
        Assert.Contains(a, live);
        Assert.Contains(b, live);
        Assert.Contains(MemoryKind.Default, live);
        Assert.True(KindTracker.LiveCount >= 3);
        a.Dispose();
        b.Dispose();
        b.Dispose();
        live = KindTracker.Snapshot();
        Assert.DoesNotContain(a, live);
        Assert.DoesNotContain(b, live);
        MemoryKind.Default.Dispose(); // does nothing: the default kind stays
        Assert.Contains(MemoryKind.Default, KindTracker.Snapshot());
    }

    [Theory]
    [MemberData(nameof(SafeKinds.Pmem), MemberType = typeof(SafeKinds))]
    public void AllocationFailuresAreCountedOncePerFailedCall(string which)
    {
        using var recorder = new Recorder();
        using MemoryKind kind = SafeKinds.Create(which, PmemKind.MinSize);
        const nuint Huge = 1u << 30;
        void* p = kind.Alloc(64);
        Assert.Equal(0, kind.AllocationFailures);

        Assert.Throws<OutOfMemoryException>(() => kind.Alloc(Huge));
        Assert.True(kind.TryAlloc(Huge) == null);
        Assert.Throws<OutOfMemoryException>(() => kind.AllocZeroed(Huge, 4));
        Assert.True(kind.TryAllocZeroed(nuint.MaxValue, 2) == null); // overflow
        Assert.Throws<OutOfMemoryException>(() => kind.AllocZeroed(nuint.MaxValue, 2));
        Assert.Throws<OutOfMemoryException>(() => kind.AlignedAlloc(Huge, 4096));
        Assert.True(kind.TryAlignedAlloc(Huge, 64) == null);
        Assert.Throws<OutOfMemoryException>(() => kind.Realloc(p, Huge));
        Assert.True(kind.TryRealloc(p, Huge) == null);
        Assert.True(kind.TryRealloc(null, Huge) == null);
        Assert.Throws<OutOfMemoryException>(() => kind.Allocate<long>(1 << 28));
        const long Failures = 11;

        // Successes and argument errors are not failures.
        p = kind.Realloc(p, 128);
        kind.Free(kind.AlignedAlloc(100, 256));
        Assert.Throws<ArgumentException>(() => kind.TryAlignedAlloc(8, 3));
        kind.Free(p);

        Assert.Equal(Failures, kind.AllocationFailures);
        Assert.Equal(Failures, recorder.Sums[("memorykinds.allocation.failures", kind.Name)]);
        Assert.Contains($"failures:   {Failures}", kind.GetStatsReport());

        kind.Dispose();
        Assert.Throws<ObjectDisposedException>(() => kind.Alloc(Huge));
        Assert.Throws<ObjectDisposedException>(() => kind.TryAllocZeroed(1, 1));
        Assert.Equal(Failures, kind.AllocationFailures); // calls on a disposed kind are not failures
    }

    [Fact]
    public void TextReportNamesEveryFigure()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, 21L << 20);
        void* p = kind.Alloc(100_000);
        string report = kind.GetStatsReport();
        KindStats stats = kind.GetStats();
        Assert.StartsWith($"Memory kind '{kind.Name}'", report);
        foreach (string label in new[] { "type:", "source:", "directory:", "policy:", "hardened:", "capacity:", "max size:", "allocated:", "active:", "resident:", "file:", "failures:" })
            Assert.Contains(label, report);
        Assert.Contains("pmem", report);
        Assert.Contains(kind.Directory, report);
        Assert.Contains("23,068,672 bytes (22 MiB)", report); // the 21 MiB limit rounded up to 2 MiB chunks
        Assert.Contains($"{stats.Allocated:N0} bytes", report);
        Assert.Equal(report, kind.GetStatsReport(StatsFormat.Text));
        kind.Free(p);

        string defaultReport = MemoryKind.Default.GetStatsReport();
        Assert.Contains("default", defaultReport);
        Assert.Contains("DRAM", defaultReport);
        Assert.Contains("unlimited", defaultReport);
        Assert.Contains("file:       n/a", defaultReport);
        Assert.DoesNotContain("directory:", defaultReport);

        Assert.Throws<ArgumentOutOfRangeException>(() => kind.GetStatsReport((StatsFormat)7));
        kind.Dispose();
        Assert.Throws<ObjectDisposedException>(() => kind.GetStatsReport());
    }

    [Theory]
    [MemberData(nameof(SafeKinds.All), MemberType = typeof(SafeKinds))]
    public void JsonReportParsesAndMatchesTheKind(string which)
    {
        using MemoryKind kind = SafeKinds.Create(which, which == "default" ? 0 : 64L << 20);
        using JsonDocument json = JsonDocument.Parse(kind.GetStatsReport(StatsFormat.Json));
        JsonElement root = json.RootElement;
        Assert.Equal(kind.Name, root.GetProperty("name").GetString());
        Assert.Equal(which == "default" ? "default" : "pmem", root.GetProperty("type").GetString());
        Assert.Equal(kind.Source.Description, root.GetProperty("source").GetString());
        Assert.Equal(kind.Source.GetType().Name, root.GetProperty("sourceType").GetString());
        Assert.Equal(kind.UsagePolicy.ToString(), root.GetProperty("policy").GetString());
        Assert.Equal(kind.IsHardened, root.GetProperty("hardened").GetBoolean());
        Assert.True(root.GetProperty("capacityBytes").GetInt64() > 0);
        Assert.True(root.GetProperty("allocatedBytes").GetInt64() >= 0);
        Assert.True(root.GetProperty("activeBytes").GetInt64() >= root.GetProperty("allocatedBytes").GetInt64() || which == "default");
        Assert.Equal(kind.AllocationFailures, root.GetProperty("allocationFailures").GetInt64());
        if (kind is PmemKind pmem)
        {
            Assert.Equal(pmem.Directory, root.GetProperty("directory").GetString());
            Assert.Equal(pmem.MaxSize, root.GetProperty("maxSizeBytes").GetInt64());
            Assert.Equal(JsonValueKind.Number, root.GetProperty("fileBytes").ValueKind);
        }
        else
        {
            Assert.Equal(JsonValueKind.Null, root.GetProperty("directory").ValueKind);
            Assert.Equal(JsonValueKind.Null, root.GetProperty("maxSizeBytes").ValueKind);
            Assert.Equal(JsonValueKind.Null, root.GetProperty("fileBytes").ValueKind);
        }
    }
}
