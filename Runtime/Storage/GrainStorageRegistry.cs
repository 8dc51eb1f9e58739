namespace ChatCluster.Runtime.Storage;

/// <summary>The silo's storage providers by name; <see cref="DefaultName"/> serves states that name none.</summary>
internal sealed class GrainStorageRegistry(IReadOnlyDictionary<string, IGrainStorage> providers)
{
    public const string DefaultName = "Default";

    public IGrainStorage Get(string? name) =>
        providers.TryGetValue(name ?? DefaultName, out var storage)
            ? storage
            : throw new InvalidOperationException(
                $"No grain storage named '{name ?? DefaultName}' is configured. Configured: {Describe()}.");

    public string Describe() =>
        providers.Count == 0 ? "none" : string.Join(", ", providers.Select(p => $"{p.Key} = {p.Value}"));

    public async Task InitializeAllAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, storage) in providers)
        {
            try
            {
                await storage.InitializeAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new StorageUnavailableException($"Grain storage '{name}' ({storage}) could not be prepared: {ex.Message}", ex);
            }
        }
    }
}
