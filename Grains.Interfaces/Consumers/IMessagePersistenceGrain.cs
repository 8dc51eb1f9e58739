using Orleans.Concurrency;

namespace ChatCluster.Grains;

/// <summary>
/// The persistence consumer of one log partition (key: the partition number): stores every message of the
/// partition in the message store, in log order, many per round trip. A timeline grain asks it, when it
/// activates, to wait until everything published to its partition so far is stored (the read barrier).
/// </summary>
[Alias("chat.IMessagePersistenceGrain")]
public interface IMessagePersistenceGrain : IGrainWithStringKey
{
    /// <summary>
    /// Completes with true once every record of this partition up to <paramref name="offset"/> is stored, or with
    /// false if that has not happened within <paramref name="maxWait"/> (ask again).
    /// </summary>
    [AlwaysInterleave]
    Task<bool> WaitUntilStored(long offset, TimeSpan maxWait);
}
