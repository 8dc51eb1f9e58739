namespace ChatCluster.Runtime;

/// <summary>Where one named state of one grain is stored.</summary>
public readonly record struct GrainStateKey(string GrainType, string GrainKey, string StateName);
