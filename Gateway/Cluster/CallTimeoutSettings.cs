namespace ChatCluster.Gateway.Cluster;

/// <summary>
/// What every member of a cluster reads from configuration section <c>ChatCluster:Runtime</c>: how long a grain call
/// may take. The silo's settings add grain collection and activation timeouts.
/// </summary>
public class CallTimeoutSettings
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

    /// <summary><see cref="CallTimeout"/>, or the default for <paramref name="clustered"/>.</summary>
    public TimeSpan CallTimeoutOrDefault(bool clustered) => CallTimeout ?? DefaultCallTimeout(clustered);

    /// <summary>Checks every value; one message per bad setting, naming it by its configuration key.</summary>
    public virtual IEnumerable<string> Validate() => CheckDurations((nameof(CallTimeout), CallTimeout ?? TimeSpan.FromSeconds(30)));

    /// <summary>A message for each duration outside 1 ms to 1 day.</summary>
    protected static IEnumerable<string> CheckDurations(params (string Name, TimeSpan Value)[] durations)
    {
        ArgumentNullException.ThrowIfNull(durations);
        foreach (var (name, value) in durations)
        {
            if (value < TimeSpan.FromMilliseconds(1) || value > TimeSpan.FromDays(1))
            {
                yield return $"{Section}:{name} is {value}; it must be between 00:00:00.001 and 1.00:00:00 (e.g. \"00:00:30\").";
            }
        }
    }
}
