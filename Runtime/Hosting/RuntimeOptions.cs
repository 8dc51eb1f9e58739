namespace ChatCluster.Runtime.Hosting;

/// <summary>Settings of the actor runtime: configuration section <c>ChatCluster:Runtime</c>.</summary>
public sealed class RuntimeOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string Section = "ChatCluster:Runtime";

    /// <summary>How long a caller waits for a grain call before it fails with <see cref="GrainCallTimeoutException"/>.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an activation may sit unused before it is collected.</summary>
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often idle activations are looked for.</summary>
    public TimeSpan CollectionQuantum { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The time <see cref="Grain.OnActivateAsync"/> gets before its token is canceled.</summary>
    public TimeSpan ActivationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The time <see cref="Grain.OnDeactivateAsync"/> gets before its token is canceled.</summary>
    public TimeSpan DeactivationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks every value; returns one message per bad setting, naming it by its configuration key.</summary>
    public IEnumerable<string> Validate()
    {
        foreach (var (name, value, min) in new[]
        {
            (nameof(CallTimeout), CallTimeout, TimeSpan.FromMilliseconds(1)),
            (nameof(CollectionAge), CollectionAge, TimeSpan.FromMilliseconds(1)),
            (nameof(CollectionQuantum), CollectionQuantum, TimeSpan.FromMilliseconds(1)),
            (nameof(ActivationTimeout), ActivationTimeout, TimeSpan.FromMilliseconds(1)),
            (nameof(DeactivationTimeout), DeactivationTimeout, TimeSpan.FromMilliseconds(1)),
        })
        {
            if (value < min || value > TimeSpan.FromDays(1))
            {
                yield return $"{Section}:{name} is {value}; it must be between {min} and 1.00:00:00 (e.g. \"00:00:30\").";
            }
        }
    }
}
