using System.Collections.Concurrent;
using ChatCluster.Runtime.Clustering;

namespace ChatCluster.Runtime.Tests.Clustering;

/// <summary>One silo of a <see cref="FakeCluster"/>: a membership service and what it reported.</summary>
internal sealed class FakeSilo
{
    private readonly ConcurrentQueue<long> versions = new();
    private readonly ConcurrentQueue<SiloFencedEventArgs> fences = new();

    public FakeSilo(string name, MembershipService service, OutputLogger<MembershipService> logger)
    {
        Name = name;
        Service = service;
        Logger = logger;
        service.ViewChanged += (_, e) => versions.Enqueue(e.View.Version);
        service.Fenced += (_, e) => fences.Enqueue(e);
    }

    public string Name { get; }

    public MembershipService Service { get; }

    public OutputLogger<MembershipService> Logger { get; }

    /// <summary>False once killed or left: its process is gone, so probes to it fail.</summary>
    public bool Running { get; set; } = true;

    /// <summary>The versions of the views raised by <see cref="MembershipService.ViewChanged"/>, in order.</summary>
    public IReadOnlyList<long> Versions => [.. versions];

    public IReadOnlyList<SiloFencedEventArgs> Fences => [.. fences];

    /// <summary>Kills the silo: its loops stop, it does not tell the table, probes to it fail.</summary>
    public async Task KillAsync()
    {
        Running = false;
        await Service.StopAsync();
    }

    public async Task LeaveAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await Service.LeaveAsync(timeout.Token);
        Running = false;
    }

    public override string ToString() => $"{Name} ({(Running ? "running" : "gone")}, serving {Service.IsServing}) sees {Service.View}";
}
