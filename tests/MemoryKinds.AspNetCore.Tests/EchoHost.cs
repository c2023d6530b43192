using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MemoryKinds.AspNetCore.Tests;

/// <summary>
/// A real Kestrel on an ephemeral 127.0.0.1 port with <see cref="MemoryKindServiceCollectionExtensions.AddMemoryKindPools"/>:
/// POST /echo sends the body back with the header <see cref="PoolHeader"/> naming the connection's pool type.
/// </summary>
internal sealed class EchoHost : IAsyncDisposable
{
    public const string PoolHeader = "X-Memory-Pool";

    private EchoHost(WebApplication app) => App = app;

    public WebApplication App { get; }

    public Uri EchoUri => new(App.Urls.First() + "/echo");

    public static async Task<EchoHost> StartAsync(MemoryKind kind)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddMemoryKindPools(kind);
        WebApplication app = builder.Build();
        app.MapPost("/echo", static async (HttpContext context) =>
        {
            context.Response.Headers[PoolHeader] = context.Features.Get<IMemoryPoolFeature>()?.MemoryPool.GetType().Name;
            await context.Request.Body.CopyToAsync(context.Response.Body);
        });
        await app.StartAsync();
        return new EchoHost(app);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
