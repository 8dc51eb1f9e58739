namespace ChatCluster.Runtime.Activations;

internal enum ActivationState
{
    Activating,
    Active,
    Deactivating,
    Deactivated,
}
