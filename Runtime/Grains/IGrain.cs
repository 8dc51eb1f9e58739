namespace ChatCluster.Runtime;

/// <summary>Marker for every grain interface. Use <see cref="IGrainWithStringKey"/> for your grains.</summary>
public interface IGrain;

/// <summary>
/// A grain interface whose grains are identified by a string key, e.g. <c>IUserGrain</c> keyed by user id.
/// Every method must return <see cref="Task"/> or <see cref="Task{TResult}"/>; the source generator
/// reports anything else as a build error.
/// </summary>
public interface IGrainWithStringKey : IGrain;
