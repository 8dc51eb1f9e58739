using Orleans.Configuration;

namespace ChatCluster.Silo.Configuration;

/// <summary>
/// Orleans' grain runtime settings that operators tune, under configuration section <c>ChatCluster:Runtime</c>
/// (mapped onto Orleans' <see cref="SiloMessagingOptions"/> and <see cref="GrainCollectionOptions"/>).
/// </summary>
public sealed class RuntimeOptions
{
    public const string Section = "ChatCluster:Runtime";

    /// <summary>
    /// How long a caller waits for a grain call before it fails with a <see cref="TimeoutException"/> (Orleans'
    /// <c>ResponseTimeout</c>). Unset: 30 s on the embedded silo, 5 s in cluster mode, where calls in flight to a silo
    /// that died wait this long (see ARCHITECTURE.md).
    /// </summary>
    public TimeSpan? CallTimeout { get; set; }

    /// <summary>The call timeout when <see cref="CallTimeout"/> is not set: 30 s, or 5 s in cluster mode.</summary>
    public static TimeSpan DefaultCallTimeout(bool clustered) => clustered ? TimeSpan.FromSeconds(5) : TimeSpan.FromSeconds(30);

    /// <summary>How long an activation may sit unused before it is collected.</summary>
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often idle activations are looked for.</summary>
    public TimeSpan CollectionQuantum { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The time <c>OnActivateAsync</c> gets before its token is canceled.</summary>
    public TimeSpan ActivationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The time <c>OnDeactivateAsync</c> gets before its token is canceled.</summary>
    public TimeSpan DeactivationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks every value; returns one message per bad setting, naming it by its configuration key.</summary>
    public IEnumerable<string> Validate()
    {
        foreach (var (name, value) in new[]
        {
            (nameof(CallTimeout), CallTimeout ?? TimeSpan.FromSeconds(30)),
            (nameof(CollectionAge), CollectionAge),
            (nameof(CollectionQuantum), CollectionQuantum),
            (nameof(ActivationTimeout), ActivationTimeout),
            (nameof(DeactivationTimeout), DeactivationTimeout),
        })
        {
            if (value < TimeSpan.FromMilliseconds(1) || value > TimeSpan.FromDays(1))
            {
                yield return $"{Section}:{name} is {value}; it must be between 00:00:00.001 and 1.00:00:00 (e.g. \"00:00:30\").";
            }
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
        var callTimeout = CallTimeout ?? DefaultCallTimeout(clustered);
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
