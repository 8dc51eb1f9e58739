namespace ChatCluster.Runtime;

/// <summary>
/// The identity of a grain: its type (from the grain interface, e.g. <c>user</c> for <c>IUserGrain</c>)
/// and its key (e.g. <c>alice</c>). There is at most one activation per id.
/// </summary>
/// <param name="Type">The grain type name; see <see cref="GrainTypeAttribute"/>.</param>
/// <param name="Key">The grain's key within its type.</param>
public readonly record struct GrainId(string Type, string Key)
{
    /// <summary>The longest key a grain may have, in characters.</summary>
    public const int MaxKeyLength = 256;

    /// <inheritdoc />
    public override string ToString() => $"{Type}/{Key}";
}
