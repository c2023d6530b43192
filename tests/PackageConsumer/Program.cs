// Uses every integration package from its NuGet package: a Kestrel server whose buffers are in a pmem kind, a
// distributed cache in that kind, a KindStream and a KindBufferWriter, a NativeArray, counters and Trim. Exits 0 when
// every round trip matched. Usage: PackageConsumer DIRECTORY
using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using MemoryKinds;
using MemoryKinds.AspNetCore;
using Microsoft.Extensions.Caching.Distributed;

string directory = args.Length > 0 ? args[0] : Path.GetTempPath();
using PmemKind kind = PmemKind.Create(directory, 256L << 20);

var builder = WebApplication.CreateBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Services.AddMemoryKindPools(kind);
builder.Services.AddMemoryKindDistributedCache(kind);
var app = builder.Build();
app.MapPost("/echo", async (HttpRequest request, HttpResponse response) => await request.Body.CopyToAsync(response.Body));
app.MapGet("/cache/{key}", async (string key, IDistributedCache cache) => await cache.GetStringAsync(key) ?? "(missing)");
await app.StartAsync();
string url = app.Urls.First();

using var http = new HttpClient();
byte[] body = new byte[1 << 20];
new Random(1).NextBytes(body);
byte[] echoed = await (await http.PostAsync($"{url}/echo", new ByteArrayContent(body))).Content.ReadAsByteArrayAsync();
Check(echoed.AsSpan().SequenceEqual(body), "1 MiB echo through Kestrel on the kind's buffers");

var cache = app.Services.GetRequiredService<IDistributedCache>();
await cache.SetStringAsync("greeting", "hello from the kind");
Check(await http.GetStringAsync($"{url}/cache/greeting") == "hello from the kind", "distributed cache value served by Kestrel");
await app.StopAsync();

using (var stream = new KindStream(kind))
{
    using (var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true)) JsonSerializer.Serialize(gzip, new { Numbers = Enumerable.Range(0, 10_000) });
    stream.Position = 0;
    using var unzip = new GZipStream(stream, CompressionMode.Decompress);
    Check(JsonDocument.Parse(unzip).RootElement.GetProperty("Numbers").GetArrayLength() == 10_000, "JSON through gzip through a KindStream");
}
using (var writer = new KindBufferWriter(kind))
{
    for (int i = 0; i < 1000; i++) writer.Write(body.AsSpan(0, 1000));
    Check(writer.WrittenCount == 1_000_000 && writer.WrittenSequence.Length == 1_000_000, "KindBufferWriter of 1,000,000 bytes");
}
using (var array = new NativeArray<long>(1000L, kind))
{
    array[999L] = 42;
    Check(array.LongLength == 1000 && array[999L] == 42, "NativeArray<long> indexed by long");
}

KindCounters counters = kind.GetCounters();
long trimmed = kind.Trim();
Console.WriteLine($"{kind.Name}: {counters}, trimmed {trimmed} bytes, now {kind.GetStats()}");
Check(counters.Allocations > 0 && counters.Frees > 0, "counters moved");
Console.WriteLine("package consumer: all checks passed");
return 0;

static void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
    if (!ok) Environment.Exit(1);
}
