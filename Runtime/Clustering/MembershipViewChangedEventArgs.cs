namespace ChatCluster.Runtime.Clustering;

/// <summary>A silo learned a newer membership view.</summary>
public sealed class MembershipViewChangedEventArgs(MembershipView view) : EventArgs
{
    /// <summary>The new view; its version is larger than that of every view raised before by the same service.</summary>
    public MembershipView View { get; } = view;
}
