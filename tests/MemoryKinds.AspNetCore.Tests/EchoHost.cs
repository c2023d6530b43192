using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MemoryKinds.AspNetCore.Tests;

/// <summary>
/// A real Kestrel on an ephemeral 127.0.0.1 port with <see cref="MemoryKindServiceCollectionExtensions.AddMemoryKindPools"/>:
/// GET /bytes/N sends N bytes of <see cref="FillPattern"/>; POST /echo sends the body back with the header <see cref="PoolHeader"/> naming the connection's pool type, and
/// records the kind's allocated bytes as each request starts (its headers' block is still held by the input pipe then).
/// </summary>
internal sealed class EchoHost : IAsyncDisposable
{
    public const string PoolHeader = "X-Memory-Pool";

    private long _peakAllocated;

    private EchoHost(WebApplication app) => App = app;

    public WebApplication App { get; }

    /// <summary>The most bytes the kind had allocated when a request started.</summary>
    public long PeakAllocated => Interlocked.Read(ref _peakAllocated);

    public Uri EchoUri => new(App.Urls.First() + "/echo");

    /// <summary>Starts the host on <paramref name="listen"/>'s endpoints, or on http://127.0.0.1:0 when it is null.</summary>
    public static async Task<EchoHost> StartAsync(MemoryKind kind, Action<KestrelServerOptions>? listen = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (listen is null) builder.WebHost.UseUrls("http://127.0.0.1:0");
        else builder.WebHost.ConfigureKestrel(listen);
        builder.Services.AddMemoryKindPools(kind);
        WebApplication app = builder.Build();
        var host = new EchoHost(app);
        app.MapPost("/echo", async (HttpContext context) =>
        {
            host.RecordAllocated(kind.GetStats().Allocated);
            context.Response.Headers[PoolHeader] = context.Features.Get<IMemoryPoolFeature>()?.MemoryPool.GetType().Name;
            await context.Request.Body.CopyToAsync(context.Response.Body);
        });
        app.MapGet("/bytes/{count:int}", static async (HttpContext context, int count) =>
        {
            var chunk = new byte[64 << 10];
            for (int sent = 0; sent < count; sent += chunk.Length)
            {
                int length = Math.Min(chunk.Length, count - sent);
                FillPattern(chunk.AsSpan(0, length), sent);
                await context.Response.Body.WriteAsync(chunk.AsMemory(0, length));
            }
        });
        await app.StartAsync();
        return host;
    }

    /// <summary>The bytes GET /bytes sends: byte i of the response is i mod 251.</summary>
    public static void FillPattern(Span<byte> span, long offset)
    {
        for (int i = 0; i < span.Length; i++) span[i] = (byte)((offset + i) % 251);
    }

    private void RecordAllocated(long allocated)
    {
        long peak;
        while (allocated > (peak = Interlocked.Read(ref _peakAllocated)) && Interlocked.CompareExchange(ref _peakAllocated, allocated, peak) != peak) { }
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
