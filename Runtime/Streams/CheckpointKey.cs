namespace ChatCluster.Runtime.Streams;

/// <summary>Whose checkpoint: one handler group in one partition of one namespace.</summary>
internal readonly record struct CheckpointKey(string Group, string Namespace, int Partition)
{
    public override string ToString() => $"group '{Group}', {Namespace} partition {Partition}";
}
