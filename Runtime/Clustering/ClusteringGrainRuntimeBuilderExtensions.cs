using ChatCluster.Runtime.Hosting;
using ChatCluster.Runtime.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatCluster.Runtime.Clustering;

/// <summary>
/// Adds cluster membership to a silo: the <see cref="IMembershipTable"/>, the <see cref="ClusterOptions"/> and
/// the <see cref="MembershipService"/>, which joins when the host starts and leaves when it stops.
/// With a transport (<see cref="GrainRuntimeBuilder.AddTransport"/>), peers are probed over it and calls are
/// routed to each grain's owner by rendezvous placement over the active silos.
/// </summary>
public static class ClusteringGrainRuntimeBuilderExtensions
{
    /// <summary>
    /// Membership as <see cref="ClusterOptions.Provider"/> says (section <c>ChatCluster:Cluster</c>;
    /// Redis connection settings from <c>ChatCluster:Redis</c>).
    /// </summary>
    /// <param name="builder">The runtime builder.</param>
    /// <param name="configuration">Where the settings are read from (defaults only when null).</param>
    /// <param name="siloHost">The host this silo is reached at.</param>
    /// <param name="siloPort">The port this silo is reached at.</param>
    /// <param name="configure">Overrides applied after configuration.</param>
    /// <param name="probe">
    /// Probes a peer (the transport supplies one). Without it every probe succeeds, so failures are
    /// detected by heartbeats alone (<see cref="ClusterOptions.DeathTimeout"/>).
    /// </param>
    /// <exception cref="OptionsValidationException">A setting is bad; the message names it.</exception>
    public static GrainRuntimeBuilder UseClustering(this GrainRuntimeBuilder builder, IConfiguration? configuration, string siloHost, int siloPort,
        Action<ClusterOptions>? configure = null, Func<SiloAddress, CancellationToken, Task<bool>>? probe = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = ClusterOptions.Read(configuration, configure);
        if (options.Provider == ClusterProvider.Redis)
        {
            var redis = RedisOptions.Read(configuration);
            builder.Services.AddSingleton(provider => new RedisConnection(redis, provider.GetService<ILogger<RedisConnection>>()));
            builder.Services.AddSingleton<IMembershipTable>(provider =>
                new RedisMembershipTable(provider.GetRequiredService<RedisConnection>(), options.KeyPrefix));
        }
        else
        {
            builder.Services.AddSingleton<IMembershipTable>(_ => new LocalMembershipTable());
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(provider => new MembershipService(
            provider.GetRequiredService<IMembershipTable>(),
            options,
            siloHost,
            siloPort,
            probe ?? TransportProbe(provider, options),
            provider.GetService<ILogger<MembershipService>>()));
        builder.Services.AddHostedService(provider => new MembershipHostedService(
            provider.GetRequiredService<MembershipService>(), provider.GetRequiredService<GrainRuntime>(), options));
        return builder;
    }

    /// <summary>Local clustering (the embedded default): membership in this process's memory, no Redis.</summary>
    /// <inheritdoc cref="UseClustering" path="/param"/>
    public static GrainRuntimeBuilder UseLocalClustering(this GrainRuntimeBuilder builder, string siloHost = "127.0.0.1", int siloPort = 11111,
        Action<ClusterOptions>? configure = null) =>
        UseClustering(builder, null, siloHost, siloPort, o =>
        {
            configure?.Invoke(o);
            o.Provider = ClusterProvider.Local;
        });

    /// <summary>Membership in Redis, connected with the <c>ChatCluster:Redis</c> settings of <paramref name="configuration"/>.</summary>
    /// <inheritdoc cref="UseClustering" path="/param"/>
    public static GrainRuntimeBuilder UseRedisClustering(this GrainRuntimeBuilder builder, IConfiguration? configuration, string siloHost, int siloPort,
        Action<ClusterOptions>? configure = null, Func<SiloAddress, CancellationToken, Task<bool>>? probe = null) =>
        UseClustering(builder, configuration, siloHost, siloPort, o =>
        {
            configure?.Invoke(o);
            o.Provider = ClusterProvider.Redis;
        }, probe);

    /// <summary>Pings peers over the silo transport when there is one; without it every probe succeeds (heartbeats alone detect failures).</summary>
    private static Func<SiloAddress, CancellationToken, Task<bool>> TransportProbe(IServiceProvider provider, ClusterOptions options)
    {
        var transport = provider.GetService<Transport.SiloTransport>();
        return transport is null
            ? static (_, _) => Task.FromResult(true)
            : (silo, _) => transport.ProbeAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(silo.Host), silo.Port), options.ProbeTimeout);
    }
}
