namespace ChatCluster.Runtime.Storage;

/// <summary>A persistent state that the activation reads before the grain's OnActivateAsync.</summary>
internal interface IStateLoader
{
    Task ReadStateAsync(CancellationToken cancellationToken = default);
}
