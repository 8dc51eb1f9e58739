namespace ChatCluster.Runtime;

/// <summary>
/// Marks a grain class whose calls may interleave: while one call awaits, the next may start.
/// Grain code still never runs on two threads at once; only the order of turns changes.
/// Without it a grain is turn-based: one call runs to completion before the next starts.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class ReentrantAttribute : Attribute;
