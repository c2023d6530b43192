// KestrelOnPmem: a web server whose connection buffers live in a pmem kind (AddMemoryKindPools), with the kind's and
// the pools' figures at GET /stats. Usage: KestrelOnPmem [directory] [--serve URL]
//   directory     where the kind's file goes (default: the temp directory)
//   --serve URL   serve on URL (such as http://127.0.0.1:5000) until Ctrl+C; without it the sample starts on an
//                 ephemeral 127.0.0.1 port, sends itself a few requests, prints the answers and exits
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MemoryKinds;
using MemoryKinds.AspNetCore;

string directory = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : Path.GetTempPath();
int serveAt = Array.IndexOf(args, "--serve");
string? serveUrl = serveAt >= 0 && serveAt + 1 < args.Length ? args[serveAt + 1] : null;

using PmemKind kind = PmemKind.Create(directory, maxSize: 256L << 20);
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls(serveUrl ?? "http://127.0.0.1:0");
builder.Services.AddMemoryKindPools(kind);
WebApplication app = builder.Build();

app.MapGet("/", () => $"Hello from Kestrel; this connection's buffers are in {kind.Name} ({kind.Directory}).");
app.MapPost("/echo", static (HttpContext context) => context.Request.Body.CopyToAsync(context.Response.Body));
app.MapGet("/stats", (KindMemoryPoolFactory pools) =>
{
    KindStats stats = kind.GetStats();
    return new
    {
        kind = kind.Name,
        directory = kind.Directory,
        allocated = stats.Allocated,
        active = stats.Active,
        resident = stats.Resident,
        pools = pools.Pools.Select(pool => new { owner = pool.Owner, allocatedBlocks = pool.AllocatedBlocks, pooledBlocks = pool.PooledBlocks, rentedBytes = pool.RentedBytes }),
    };
});

if (serveUrl is not null)
{
    Console.WriteLine($"Serving on {serveUrl} with buffers in {kind}; GET /stats for the figures. Ctrl+C stops.");
    await app.RunAsync();
    return 0;
}

await app.StartAsync();
string url = app.Urls.First();
Console.WriteLine($"Listening on {url}, buffers in {kind} in {kind.Directory}");
int exitCode = 0;
using (var client = new HttpClient { BaseAddress = new Uri(url) })
{
    Console.WriteLine($"GET /       -> {await client.GetStringAsync("/")}");

    var body = new byte[2 << 20];
    new Random(1).NextBytes(body);
    using HttpResponseMessage echo = await client.PostAsync("/echo", new ByteArrayContent(body));
    byte[] echoed = await echo.Content.ReadAsByteArrayAsync();
    bool intact = echo.IsSuccessStatusCode && echoed.AsSpan().SequenceEqual(body);
    Console.WriteLine($"POST /echo  -> {(int)echo.StatusCode}, {echoed.Length} of {body.Length} bytes back, {(intact ? "identical" : "DIFFERENT")}");
    if (!intact) exitCode = 1;

    Console.WriteLine($"GET /stats  -> {await client.GetStringAsync("/stats")}");
}
await app.StopAsync();
await app.DisposeAsync();
Console.WriteLine($"Stopped; the kind now: {kind.GetStats()}");
return exitCode;
