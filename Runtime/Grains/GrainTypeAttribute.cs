namespace ChatCluster.Runtime;

/// <summary>
/// Names the grain type of a grain interface: the first half of every <see cref="GrainId"/> and of
/// every stored state key. Without it the name is derived from the interface: <c>IUserGrain</c> → <c>user</c>.
/// Renaming it orphans stored state, so set it explicitly on interfaces you may rename.
/// </summary>
[AttributeUsage(AttributeTargets.Interface, Inherited = false)]
public sealed class GrainTypeAttribute(string name) : Attribute
{
    /// <summary>The grain type name.</summary>
    public string Name { get; } = name;
}
