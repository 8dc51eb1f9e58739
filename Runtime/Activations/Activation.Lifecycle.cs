using ChatCluster.Runtime.Storage;
using ChatCluster.Runtime.Timers;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Activations;

// Creation, activation and deactivation of the grain, and what its constructor and timers attach to it.
internal sealed partial class Activation
{
    public IPersistentState<TState> GetPersistentState<TState>(string stateName, string? storageName) where TState : new()
    {
        var stateKey = new GrainStateKey(Id.Type, Id.Key, stateName);
        var persistentState = new PersistentState<TState>(stateKey, Runtime.GetStorage(storageName), Runtime.StateSerializerOptions);
        (states ??= []).Add(persistentState);
        return persistentState;
    }

    public void AddTimer(GrainTimer timer)
    {
        lock (gate)
        {
            if (state is ActivationState.Deactivating or ActivationState.Deactivated)
            {
                throw new InvalidOperationException($"Grain {Id} is deactivating: it cannot register timers.");
            }

            (timers ??= []).Add(timer);
        }
    }

    public void RemoveTimer(GrainTimer timer)
    {
        lock (gate)
        {
            timers?.Remove(timer);
        }
    }

    public async Task ActivateAsync()
    {
        var grain = GrainClass.Create(Runtime.Services, this);
        grain.Activation = this;
        Grain = grain;

        // In a cluster, a grain that just moved here is first let go of by its previous owner, so that it is
        // never active in two silos at once (its state is read after the previous owner's last write).
        await Runtime.PrepareActivationAsync(Id);
        if (states is not null)
        {
            foreach (var persistentState in states)
            {
                await persistentState.ReadStateAsync();
            }
        }

        using var timeout = new CancellationTokenSource(Runtime.Options.ActivationTimeout);
        await grain.OnActivateAsync(timeout.Token);
    }

    public void OnActivated(Task activation)
    {
        if (activation.IsCompletedSuccessfully)
        {
            lock (gate)
            {
                state = ActivationState.Active;
            }

            return;
        }

        // The grain could not start: everyone waiting for it gets the reason; the next call tries anew.
        // Canceled: OnActivateAsync ran past ActivationTimeout (e.g. waiting for storage); a transient failure, so callers
        // get a timeout they may retry, not a cancellation they did not ask for.
        var error = activation.Exception?.InnerException ?? new GrainCallTimeoutException(
            $"Activation of grain {Id} did not finish within {Runtime.Options.ActivationTimeout} (OnActivateAsync was canceled); retry the call.");
        LogActivationFailed(Runtime.Logger, error, Id);
        foreach (var turn in Close())
        {
            turn.Abandon(error);
        }
    }

    public async Task DeactivateAsync(DeactivationReason reason)
    {
        GrainTimer[] stopping;
        lock (gate)
        {
            state = ActivationState.Deactivating;
            stopping = timers is null ? [] : [.. timers];
        }

        foreach (var timer in stopping)
        {
            timer.Dispose();
        }

        using var timeout = new CancellationTokenSource(Runtime.Options.DeactivationTimeout);
        await Grain!.OnDeactivateAsync(reason, timeout.Token);
    }

    public void OnDeactivated(Task deactivation)
    {
        if (!deactivation.IsCompletedSuccessfully)
        {
            // The activation goes away regardless: its state is only what it last wrote.
            LogDeactivationFailed(Runtime.Logger, deactivation.Exception?.InnerException, Id);
        }

        foreach (var turn in Close())
        {
            // Calls that arrived during deactivation go to the next activation; timer ticks end here.
            if (turn is not (GrainTimer or LifecycleTurn))
            {
                Runtime.Redispatch(Id, turn);
            }
        }
    }

    // Marks the activation gone, removes it from the directory and returns what was still queued.
    private List<ITurn> Close()
    {
        List<ITurn> leftovers;
        lock (gate)
        {
            state = ActivationState.Deactivated;
            leftovers = [.. waiting];
            waiting.Clear();
        }

        Runtime.Catalog.Remove(this);
        deactivated.TrySetResult();
        return leftovers;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Activation of grain {GrainId} failed; its pending calls fail with the same error")]
    private static partial void LogActivationFailed(ILogger logger, Exception exception, GrainId grainId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OnDeactivateAsync of grain {GrainId} failed")]
    private static partial void LogDeactivationFailed(ILogger logger, Exception? exception, GrainId grainId);
}
