using ChatCluster.Gateway.Cluster;
using Orleans.Configuration;

namespace ChatCluster.Silo.Configuration;

/// <summary>
/// Orleans' grain runtime settings that operators tune, under configuration section <c>ChatCluster:Runtime</c>
/// (mapped onto Orleans' <see cref="SiloMessagingOptions"/> and <see cref="GrainCollectionOptions"/>): the call timeout
/// every member of the cluster reads (<see cref="CallTimeoutSettings"/>) and the silo's own.
/// </summary>
public sealed class RuntimeOptions : CallTimeoutSettings
{
    /// <summary>How long an activation may sit unused before it is collected.</summary>
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often idle activations are looked for.</summary>
    public TimeSpan CollectionQuantum { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The time <c>OnActivateAsync</c> gets before its token is canceled.</summary>
    public TimeSpan ActivationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The time <c>OnDeactivateAsync</c> gets before its token is canceled.</summary>
    public TimeSpan DeactivationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks every value; returns one message per bad setting, naming it by its configuration key.</summary>
    public override IEnumerable<string> Validate()
    {
        var problems = base.Validate().Concat(CheckDurations(
            (nameof(CollectionAge), CollectionAge),
            (nameof(CollectionQuantum), CollectionQuantum),
            (nameof(ActivationTimeout), ActivationTimeout),
            (nameof(DeactivationTimeout), DeactivationTimeout)));
        foreach (var problem in problems)
        {
            yield return problem;
        }

        if (CollectionAge <= CollectionQuantum)
        {
            yield return $"{Section}:CollectionAge ({CollectionAge}) must be longer than {Section}:CollectionQuantum ({CollectionQuantum}).";
        }
    }

    /// <summary>Sets the Orleans options these settings stand for.</summary>
    public void ApplyTo(ISiloBuilder silo, bool clustered)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var callTimeout = CallTimeoutOrDefault(clustered);
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = callTimeout);
        silo.Configure<GrainCollectionOptions>(o =>
        {
            o.CollectionAge = CollectionAge;
            o.CollectionQuantum = CollectionQuantum;
            o.ActivationTimeout = ActivationTimeout;
            o.DeactivationTimeout = DeactivationTimeout;
        });
    }
}
