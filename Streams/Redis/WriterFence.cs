using StackExchange.Redis;

namespace ChatCluster.Streams;

/// <summary>
/// Where the log finds whether its writer is still a member of the cluster: the hash of Orleans' Redis membership table
/// (<c>{ServiceId}/members/{ClusterId}</c>, Orleans' default key) and this silo's row in it (its address).
/// </summary>
public sealed record WriterFence(RedisKey MembershipKey, string SiloRow);
