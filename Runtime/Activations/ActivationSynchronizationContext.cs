namespace ChatCluster.Runtime.Activations;

/// <summary>
/// Set while grain code runs, so that every <c>await</c> in a grain resumes as a turn of its own
/// activation rather than on an arbitrary pool thread.
/// </summary>
internal sealed class ActivationSynchronizationContext(Activation activation) : SynchronizationContext
{
    /// <summary>The activation whose grain code runs under this context.</summary>
    public Activation Activation { get; } = activation;

    public override void Post(SendOrPostCallback d, object? state) => Activation.Post(d, state);

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException($"Blocking on grain {Activation.Id} from inside it would deadlock; await instead.");

    public override SynchronizationContext CreateCopy() => this;
}
