using System.Diagnostics;

namespace ChatCluster.Bench.GrainStorage;

/// <summary>A grain that writes its <see cref="WriterState"/> once per request, as a chat grain does per message.</summary>
[Alias("bench.IStateWriterGrain")]
public interface IStateWriterGrain : IGrainWithStringKey
{
    /// <summary>Does nothing; the first call activates the grain, which reads its state.</summary>
    Task Activate();

    /// <summary>Records one more message in the state and writes it (one <c>WriteStateAsync</c>); returns how long that write took.</summary>
    Task<TimeSpan> Write();
}

/// <summary><see cref="IStateWriterGrain"/> over the bench's grain storage (<see cref="GrainStorageBench.StorageName"/>).</summary>
public sealed class StateWriterGrain([PersistentState("state", GrainStorageBench.StorageName)] IPersistentState<WriterState> state)
    : Grain, IStateWriterGrain
{
    public Task Activate() => Task.CompletedTask;

    public async Task<TimeSpan> Write()
    {
        var current = state.State;
        current.Counter++;
        current.LastMessage = $"message {current.Counter} from {this.GetPrimaryKeyString()}";
        current.RecentMessageIds.Add($"m{current.Counter}");
        if (current.RecentMessageIds.Count > WriterState.RecentCount)
        {
            current.RecentMessageIds.RemoveAt(0);
        }

        var started = Stopwatch.GetTimestamp();
        await state.WriteStateAsync();
        return Stopwatch.GetElapsedTime(started);
    }
}
