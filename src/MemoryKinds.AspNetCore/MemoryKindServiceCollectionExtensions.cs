using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MemoryKinds.AspNetCore.Transport;

namespace MemoryKinds.AspNetCore;

/// <summary>Registers memory kinds as the source of Kestrel's connection buffers.</summary>
public static class MemoryKindServiceCollectionExtensions
{
    /// <summary>
    /// Makes Kestrel's TCP and Unix-socket connections keep their buffers in <paramref name="kind"/>: registers a
    /// <see cref="KindMemoryPoolFactory"/> as the <see cref="IMemoryPoolFactory{T}"/> and a socket transport that uses its
    /// pools for both pipes of every connection and sends native buffers one segment at a time. Call it after Kestrel is
    /// added (as on <c>WebApplication.CreateBuilder().Services</c>), so this transport is the one Kestrel picks. Settings:
    /// <see cref="KindMemoryPoolOptions"/> and <see cref="KindSocketTransportOptions"/> through <c>services.Configure</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="kind">The kind the buffers come from; it must outlive the server (the factory does not dispose it).</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddMemoryKindPools(this IServiceCollection services, MemoryKind kind)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(kind);
        services.AddOptions();
        services.AddSingleton(provider => new KindMemoryPoolFactory(kind, provider.GetRequiredService<IOptions<KindMemoryPoolOptions>>().Value));
        services.AddSingleton<IMemoryPoolFactory<byte>>(provider => provider.GetRequiredService<KindMemoryPoolFactory>());
        // Kestrel tries its transports from the last registered one: this one comes after its socket transport.
        services.AddSingleton<IConnectionListenerFactory, KindSocketTransportFactory>();
        return services;
    }
}
