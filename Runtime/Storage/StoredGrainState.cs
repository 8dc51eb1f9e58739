namespace ChatCluster.Runtime;

/// <summary>A stored state record: its JSON (null once cleared) and its etag.</summary>
public sealed record StoredGrainState(string? Json, string Etag);
