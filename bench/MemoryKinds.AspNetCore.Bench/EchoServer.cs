using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MemoryKinds.AspNetCore.Bench;

/// <summary>A Kestrel server on an ephemeral 127.0.0.1 port whose POST /echo sends the request body back.</summary>
internal sealed class EchoServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EchoServer(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public Uri EchoUri => new(_app.Urls.First() + "/echo");

    /// <summary>Starts a server; <paramref name="configure"/> chooses its transport and pool (nothing: Kestrel's own).</summary>
    public static async Task<EchoServer> StartAsync(string name, Action<IServiceCollection> configure)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        configure(builder.Services);
        WebApplication app = builder.Build();
        app.MapPost("/echo", static (HttpContext context) => context.Request.Body.CopyToAsync(context.Response.Body));
        await app.StartAsync();
        return new EchoServer(name, app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
