// StreamsAndWriters: JSON and gzip kept in a pmem kind instead of on the managed heap, through a KindStream (a seekable
// Stream) and a KindBufferWriter (an IBufferWriter<byte>). Usage: StreamsAndWriters [directory] (default: the temp
// directory). Checks every round trip and exits 1 if one does not give back what went in.
using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using MemoryKinds;

string directory = args.Length > 0 ? args[0] : Path.GetTempPath();
using PmemKind kind = PmemKind.Create(directory, maxSize: 64L << 20);
Console.WriteLine($"Created {kind} in {kind.Directory}: limit {kind.MaxSize >> 20} MiB");

var readings = Enumerable.Range(0, 20_000).Select(i => new Reading(i, $"sensor-{i % 16}", Math.Sin(i / 100.0))).ToArray();
bool ok = true;

// 1. JSON into a KindStream, read back after rewinding.
using (var stream = new KindStream(kind))
{
    JsonSerializer.Serialize(stream, readings);
    Console.WriteLine($"KindStream: {stream.Length:N0} bytes of JSON; stats {kind.GetStats()}");
    stream.Position = 0;
    ok &= Check("JSON through KindStream", JsonSerializer.Deserialize<Reading[]>(stream), readings);
}

// 2. The same JSON gzipped into a KindStream, decompressed from it.
using (var stream = new KindStream(kind))
{
    using (var gzip = new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true)) JsonSerializer.Serialize(gzip, readings);
    Console.WriteLine($"KindStream: {stream.Length:N0} bytes of gzipped JSON; stats {kind.GetStats()}");
    stream.Position = 0;
    using var gunzip = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
    ok &= Check("gzipped JSON through KindStream", JsonSerializer.Deserialize<Reading[]>(gunzip), readings);
}

// 3. JSON into a KindBufferWriter, read in place from its segments as a ReadOnlySequence.
using (var writer = new KindBufferWriter(kind))
{
    using (var json = new Utf8JsonWriter(writer)) JsonSerializer.Serialize(json, readings);
    ReadOnlySequence<byte> written = writer.WrittenSequence;
    Console.WriteLine($"KindBufferWriter: {writer.WrittenCount:N0} bytes of JSON in {Segments(written)} segments of {writer.SegmentSize:N0}; stats {kind.GetStats()}");
    var reader = new Utf8JsonReader(written);
    ok &= Check("JSON through KindBufferWriter", JsonSerializer.Deserialize<Reading[]>(ref reader), readings);


    // 4. The writer's segments gzipped into a KindStream, then gunzipped straight into a second writer's buffers.
    using var gzipped = new KindStream(kind);
    using (var gzip = new GZipStream(gzipped, CompressionLevel.Optimal, leaveOpen: true))
    {
        foreach (ReadOnlyMemory<byte> segment in written) gzip.Write(segment.Span);
    }
    gzipped.Position = 0;
    using var restored = new KindBufferWriter(kind);
    using (var gunzip = new GZipStream(gzipped, CompressionMode.Decompress, leaveOpen: true))
    {
        int read;
        while ((read = gunzip.Read(restored.GetSpan())) > 0) restored.Advance(read);
    }
    Console.WriteLine($"KindStream: {gzipped.Length:N0} bytes of gzip; KindBufferWriter: {restored.WrittenCount:N0} bytes gunzipped; stats {kind.GetStats()}");
    bool same = restored.WrittenSequence.ToArray().AsSpan().SequenceEqual(written.ToArray());
    Console.WriteLine($"gzip from one KindBufferWriter into another: {(same ? "round trip OK" : "MISMATCH")}");
    ok &= same;
}

Console.WriteLine($"Everything disposed; stats {kind.GetStats()}");
return ok ? 0 : 1;

static bool Check(string what, Reading[]? back, Reading[] expected)
{
    bool same = back is not null && back.SequenceEqual(expected);
    Console.WriteLine($"{what}: {(same ? "round trip OK" : "MISMATCH")}");
    return same;
}

static int Segments(ReadOnlySequence<byte> sequence)
{
    int count = 0;
    foreach (ReadOnlyMemory<byte> _ in sequence) count++;
    return count;
}

internal sealed record Reading(int Id, string Sensor, double Value);
