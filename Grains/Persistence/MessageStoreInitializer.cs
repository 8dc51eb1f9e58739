namespace ChatCluster.Grains.Persistence;

/// <summary>Applies the message store's schema while the silo starts, before any grain or stream consumer can use it.</summary>
internal sealed class MessageStoreInitializer(IMessageStore store) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(MessageStoreInitializer), ServiceLifecycleStage.RuntimeInitialize, InitializeAsync);

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.InitializeAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not StorageUnavailableException)
        {
            // Named by the store's description, which never holds a password.
            throw new StorageUnavailableException($"The message store ({store}) could not be prepared: {ex.Message}", ex);
        }
    }
}
