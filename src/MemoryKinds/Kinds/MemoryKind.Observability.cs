using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace MemoryKinds;

// Metrics hooks (live-kind registry, allocation-failure counting) and the stats report.
public abstract unsafe partial class MemoryKind
{
    /// <summary>
    /// The name of the <see cref="System.Diagnostics.Metrics.Meter"/> that publishes every kind's figures
    /// (<c>dotnet-counters monitor --counters MemoryKinds</c>). Its instruments: <c>memorykinds.memory.allocated</c>,
    /// <c>memorykinds.memory.active</c>, <c>memorykinds.memory.resident</c> and <c>memorykinds.memory.file</c> (bytes,
    /// observable up-down counters, one measurement per live kind; the file figure only for sources whose
    /// <see cref="MemorySource.StorageBytes"/> is known), <c>memorykinds.allocation.failures</c> (a counter, see
    /// <see cref="AllocationFailures"/>) and <c>memorykinds.kinds.alive</c> (live kinds, untagged).
    /// </summary>
    public const string MeterName = "MemoryKinds";

    /// <summary>The tag carrying the kind's <see cref="Name"/> on every per-kind measurement of the <see cref="MeterName"/> meter.</summary>
    public const string KindTagName = "memorykinds.kind";

    private long _trackerId;
    private long _allocationFailures;

    /// <summary>
    /// How many allocations this kind could not satisfy: calls of <see cref="Alloc"/>, <see cref="AllocZeroed"/>,
    /// <see cref="AlignedAlloc"/> or <see cref="Realloc"/> that threw <see cref="OutOfMemoryException"/>, and calls of their
    /// Try forms that returned null (calls on a disposed kind are not counted).
    /// </summary>
    public long AllocationFailures => Volatile.Read(ref _allocationFailures);

    /// <summary>Called once at the end of the constructor: registers the kind for the metric instruments.</summary>
    private void OnCreated() => _trackerId = KindTracker.Register(this);

    /// <summary>Called from <see cref="Dispose"/> after the heap is destroyed (possibly more than once).</summary>
    private void OnDisposed() => KindTracker.Unregister(_trackerId);

    /// <summary>Returns <paramref name="p"/>, counting a failure when it is null. Only the null branch costs anything.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void* CountFailure(void* p)
    {
        if (p == null) OnAllocationFailed();
        return p;
    }

    /// <summary>Counts a failed allocation (unless the kind is disposed) and returns null, for the Try forms' failure paths.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void* OnAllocationFailed()
    {
        if (!IsDisposed)
        {
            Interlocked.Increment(ref _allocationFailures);
            KindMetrics.RecordFailure(this);
        }
        return null;
    }

    /// <summary><see cref="ThrowOutOfMemory"/> for a failure no Try form has counted yet.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowOutOfMemoryCounted(nuint size)
    {
        OnAllocationFailed();
        ThrowOutOfMemory(size);
    }

    /// <summary>The source's <see cref="MemorySource.StorageBytes"/>, or -1 when it cannot tell or the kind is disposed.</summary>
    /// <remarks>A kind disposed while this runs is the caller's race: the figure may then be wrong, never a crash.</remarks>
    internal long TryGetStorageBytes()
    {
        if (IsDisposed) return -1;
        try
        {
            return _heap.Source.StorageBytes;
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
    }

    /// <summary>
    /// A dump of the kind's state, like memkind's <c>memkind_stats_print</c>: name, type, source, policy, hardened mode,
    /// capacity, size limit, allocated, active, resident and file bytes, and <see cref="AllocationFailures"/>.
    /// </summary>
    /// <param name="format"><see cref="StatsFormat.Text"/> for people, <see cref="StatsFormat.Json"/> for tools (written with
    /// <see cref="Utf8JsonWriter"/>: no reflection, trimming- and AOT-safe).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="format"/> is not defined.</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public string GetStatsReport(StatsFormat format = StatsFormat.Text)
    {
        if (format is not (StatsFormat.Text or StatsFormat.Json)) throw new ArgumentOutOfRangeException(nameof(format), format, "Undefined stats format.");
        KindStats stats = GetStats();
        var report = new StatsReport(
            Name,
            this is PmemKind ? "pmem" : ReferenceEquals(this, s_default) ? "default" : "custom",
            _heap.Source.GetType().Name,
            _heap.Source.Description,
            (this as PmemKind)?.Directory,
            UsagePolicy,
            IsHardened,
            Capacity,
            _heap.Source.Limit,
            stats,
            TryGetStorageBytes(),
            AllocationFailures);
        return format == StatsFormat.Json ? report.ToJson() : report.ToText();
    }

    private readonly record struct StatsReport(string Name, string Type, string SourceType, string Source, string? Directory,
        MemoryUsagePolicy Policy, bool Hardened, long Capacity, long MaxSize, KindStats Stats, long FileBytes, long Failures)
    {
        public string ToText()
        {
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"Memory kind '{Name}'").AppendLine();
            Line(text, "type", Type);
            Line(text, "source", $"{SourceType}: {Source}");
            if (Directory is not null) Line(text, "directory", Directory);
            Line(text, "policy", Policy.ToString());
            Line(text, "hardened", Hardened ? "yes" : "no");
            Line(text, "capacity", Bytes(Capacity));
            Line(text, "max size", MaxSize == 0 ? "unlimited" : Bytes(MaxSize));
            Line(text, "allocated", Bytes(Stats.Allocated));
            Line(text, "active", Bytes(Stats.Active));
            Line(text, "resident", Bytes(Stats.Resident));
            Line(text, "file", FileBytes >= 0 ? Bytes(FileBytes) : "n/a");
            Line(text, "failures", Failures.ToString(CultureInfo.InvariantCulture));
            return text.ToString();
        }

        public string ToJson()
        {
            var buffer = new ArrayBufferWriter<byte>(512);
            using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteString("name", Name);
                json.WriteString("type", Type);
                json.WriteString("sourceType", SourceType);
                json.WriteString("source", Source);
                if (Directory is null) json.WriteNull("directory");
                else json.WriteString("directory", Directory);
                json.WriteString("policy", Policy.ToString());
                json.WriteBoolean("hardened", Hardened);
                json.WriteNumber("capacityBytes", Capacity);
                if (MaxSize == 0) json.WriteNull("maxSizeBytes");
                else json.WriteNumber("maxSizeBytes", MaxSize);
                json.WriteNumber("allocatedBytes", Stats.Allocated);
                json.WriteNumber("activeBytes", Stats.Active);
                json.WriteNumber("residentBytes", Stats.Resident);
                if (FileBytes < 0) json.WriteNull("fileBytes");
                else json.WriteNumber("fileBytes", FileBytes);
                json.WriteNumber("allocationFailures", Failures);
                json.WriteEndObject();
            }
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }

        private static void Line(StringBuilder text, string label, string value)
            => text.Append("  ").Append((label + ":").PadRight(12)).Append(value).AppendLine();

        private static string Bytes(long bytes)
        {
            string exact = bytes.ToString("N0", CultureInfo.InvariantCulture) + " bytes";
            if (bytes < 1024) return exact;
            string[] units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
            double value = bytes;
            int unit = -1;
            while (value >= 1024 && unit < units.Length - 1)
            {
                value /= 1024;
                unit++;
            }
            return string.Create(CultureInfo.InvariantCulture, $"{exact} ({value:0.#} {units[unit]})");
        }
    }
}
