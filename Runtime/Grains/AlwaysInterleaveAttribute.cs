namespace ChatCluster.Runtime;

/// <summary>
/// Marks a grain interface method whose calls may interleave with any other call of the grain,
/// even on a grain that is not <see cref="ReentrantAttribute">reentrant</see>. Use it for cheap
/// read-only queries that must not wait behind a long call.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class AlwaysInterleaveAttribute : Attribute;
