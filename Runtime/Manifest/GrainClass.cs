namespace ChatCluster.Runtime.Manifest;

/// <summary>A grain class that this silo can activate, and how to construct it.</summary>
internal sealed record GrainClass(
    string GrainType,
    Type ClassType,
    bool IsReentrant,
    Func<IServiceProvider, IGrainContext, Grain> Create);
