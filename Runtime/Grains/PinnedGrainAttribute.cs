namespace ChatCluster.Runtime;

/// <summary>
/// Marks a grain interface whose grains live in one particular process and never move: the key starts
/// with that process's transport endpoint, <c>host:port/</c> (e.g. <c>127.0.0.1:11201/7f3a…</c>). Calls go
/// straight to that endpoint instead of to the owner by placement. For per-process services that other
/// silos call, such as a gateway's push delivery. Without a transport (one process) it is an ordinary grain.
/// </summary>
[AttributeUsage(AttributeTargets.Interface, Inherited = false)]
public sealed class PinnedGrainAttribute : Attribute;
