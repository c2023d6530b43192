using MemoryKinds;
using MemoryKinds.Caching;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection.Extensions;

// In this namespace, as AddDistributedMemoryCache and AddStackExchangeRedisCache are, so that the method shows up on
// IServiceCollection wherever services are configured, without a using for this package.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="KindDistributedCache"/> as the application's <see cref="IDistributedCache"/>.</summary>
public static class KindDistributedCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="KindDistributedCache"/> over <paramref name="kind"/> as the
    /// <see cref="IDistributedCache"/> (replacing one registered before, so <c>HybridCache</c> uses it as its L2; a later call replaces this one). The
    /// container disposes the cache; the kind stays the caller's, to dispose after the container.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="kind"/> is null.</exception>
    public static IServiceCollection AddMemoryKindDistributedCache(this IServiceCollection services, MemoryKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return services.AddMemoryKindDistributedCache(new KindDistributedCacheOptions(kind));
    }

    /// <summary>Registers a singleton <see cref="KindDistributedCache"/> with <paramref name="options"/>, as <see cref="AddMemoryKindDistributedCache(IServiceCollection, MemoryKind)"/> does.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="options"/> is null.</exception>
    public static IServiceCollection AddMemoryKindDistributedCache(this IServiceCollection services, KindDistributedCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.Replace(ServiceDescriptor.Singleton(_ => new KindDistributedCache(options)));
        services.Replace(ServiceDescriptor.Singleton<IDistributedCache>(static provider => provider.GetRequiredService<KindDistributedCache>()));
        return services;
    }
}
