namespace ChatCluster.Runtime.Hosting;

/// <summary>
/// Work the runtime does at start, after grain storage is ready and before stream handlers run or
/// grains are called: e.g. creating a provider's schema. Added with <see cref="GrainRuntimeBuilder.AddStartupTask"/>.
/// </summary>
internal sealed record RuntimeStartupTask(Func<IServiceProvider, CancellationToken, Task> Run);
