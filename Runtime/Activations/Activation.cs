using ChatCluster.Runtime.Manifest;
using ChatCluster.Runtime.Storage;
using ChatCluster.Runtime.Timers;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Activations;

/// <summary>
/// The one live instance of a grain in this silo: its grain object and its mailbox.
/// Turns (calls, timer ticks, activation, deactivation) wait in <see cref="waiting"/> and run one at a
/// time unless they interleave; continuations of grain code come back through <see cref="posted"/>,
/// so grain code never runs on two threads at once. The activation is its own thread-pool work item:
/// it is queued when work arrives and drains its queues on a pool thread.
/// </summary>
internal sealed partial class Activation : IThreadPoolWorkItem, IGrainContext
{
    // How many items one pool dispatch runs before it yields the thread to other work.
    private const int ItemsPerDispatch = 64;

    private readonly object gate = new();
    private readonly Queue<ITurn> waiting = new();
    private readonly Queue<(SendOrPostCallback Callback, object? State)> posted = new();
    private readonly List<ITurn> running = new(1);
    private readonly ActivationSynchronizationContext context;
    private readonly TaskCompletionSource deactivated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<IStateLoader>? states;
    private List<GrainTimer>? timers;
    private bool scheduled;
    private bool deactivationQueued;
    private ActivationState state = ActivationState.Activating;
    private long lastUsed = Environment.TickCount64;

    public Activation(GrainId id, GrainRuntime runtime, GrainClass grainClass)
    {
        Id = id;
        Runtime = runtime;
        GrainClass = grainClass;
        Incarnation = runtime.CurrentIncarnation?.Invoke();
        context = new ActivationSynchronizationContext(this);
        waiting.Enqueue(new LifecycleTurn(LifecycleTurn.Kind.Activate, DeactivationReason.Requested));
    }

    public GrainId Id { get; }

    public GrainRuntime Runtime { get; }

    public GrainClass GrainClass { get; }

    /// <summary>
    /// The silo incarnation (<c>host:port@epoch</c>) this activation began under; null without clustering. What the
    /// grain publishes is fenced by it (<see cref="IStreamProvider.AppendAsync(StreamId, ReadOnlyMemory{byte}, string?, CancellationToken)"/>).
    /// </summary>
    public string? Incarnation { get; }

    public Grain? Grain { get; private set; }

    /// <summary>Completes when the activation is gone (deactivated, or its activation failed).</summary>
    public Task Deactivated => deactivated.Task;

    /// <summary>
    /// Queues a turn. False if the activation is gone: the caller must look the grain up again.
    /// <paramref name="keepsAlive"/> is false for timer ticks, which do not count as use.
    /// </summary>
    public bool TryEnqueue(ITurn turn, bool keepsAlive = true)
    {
        bool schedule;
        lock (gate)
        {
            if (state == ActivationState.Deactivated)
            {
                return false;
            }

            waiting.Enqueue(turn);
            if (keepsAlive)
            {
                lastUsed = Environment.TickCount64;
            }

            schedule = !scheduled;
            scheduled = true;
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        return true;
    }

    /// <summary>Queues a continuation of grain code (from the activation's synchronization context).</summary>
    public void Post(SendOrPostCallback callback, object? callbackState)
    {
        bool schedule;
        lock (gate)
        {
            posted.Enqueue((callback, callbackState));
            schedule = !scheduled;
            scheduled = true;
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Deactivates once the turns already queued are done. Calls queued later go to a new activation.</summary>
    public void RequestDeactivation(DeactivationReason reason)
    {
        lock (gate)
        {
            if (deactivationQueued || state is ActivationState.Deactivating or ActivationState.Deactivated)
            {
                return;
            }

            deactivationQueued = true;
        }

        TryEnqueue(new LifecycleTurn(LifecycleTurn.Kind.Deactivate, reason), keepsAlive: false);
    }

    /// <summary>Queues deactivation if nothing ran or waited for at least <paramref name="idleMilliseconds"/>.</summary>
    public bool DeactivateIfIdle(long now, long idleMilliseconds)
    {
        lock (gate)
        {
            if (state != ActivationState.Active || deactivationQueued || running.Count > 0 || waiting.Count > 0
                || posted.Count > 0 || now - lastUsed < idleMilliseconds || Grain?.KeepAlive == true)
            {
                return false;
            }
        }

        RequestDeactivation(DeactivationReason.Idle);
        return true;
    }

    /// <summary>Adds the turns, queued or running, whose deadline is before <paramref name="now"/>.</summary>
    public void CollectExpired(long now, List<(GrainId Grain, ITurn Turn)> expired)
    {
        lock (gate)
        {
            foreach (var turn in waiting)
            {
                if (turn.Deadline < now && !turn.IsAbandoned)
                {
                    expired.Add((Id, turn));
                }
            }

            foreach (var turn in running)
            {
                if (turn.Deadline < now && !turn.IsAbandoned)
                {
                    expired.Add((Id, turn));
                }
            }
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            for (var i = 0; i < ItemsPerDispatch; i++)
            {
                ITurn? turn = null;
                (SendOrPostCallback Callback, object? State) continuation = default;
                lock (gate)
                {
                    if (posted.Count > 0)
                    {
                        continuation = posted.Dequeue();
                    }
                    else if (waiting.Count > 0 && CanStart(waiting.Peek()))
                    {
                        turn = waiting.Dequeue();
                        if (turn.IsAbandoned)
                        {
                            continue;
                        }

                        running.Add(turn);
                    }
                    else
                    {
                        scheduled = false;
                        return;
                    }
                }

                if (turn is null)
                {
                    RunContinuation(continuation.Callback!, continuation.State);
                }
                else
                {
                    StartTurn(turn);
                }
            }

            // Still busy: go to the back of the pool's queue so other activations get a thread too.
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private bool CanStart(ITurn turn)
    {
        if (turn is LifecycleTurn)
        {
            return running.Count == 0;
        }

        return state == ActivationState.Active
            && (running.Count == 0 || turn.Interleaves || GrainClass.IsReentrant);
    }

    private void StartTurn(ITurn turn)
    {
        Task task;
        try
        {
            task = turn.Start(this);
        }
        catch (Exception ex)
        {
            task = Task.FromException(ex);
        }

        if (task.IsCompleted)
        {
            FinishTurn(turn, task);
        }
        else
        {
            task.ContinueWith(
                static (finished, state) =>
                {
                    var (activation, turn) = ((Activation, ITurn))state!;
                    activation.Post(static s =>
                    {
                        var (a, t, f) = ((Activation, ITurn, Task))s!;
                        a.FinishTurn(t, f);
                    }, (activation, turn, finished));
                },
                (this, turn),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private void FinishTurn(ITurn turn, Task task)
    {
        lock (gate)
        {
            running.Remove(turn);
        }

        // The caller's continuation may run inline here: it must not inherit this grain's context.
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            turn.Finish(this, task);
        }
        catch (Exception ex)
        {
            LogTurnFinishFailed(Runtime.Logger, ex, Id);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }

    private void RunContinuation(SendOrPostCallback callback, object? callbackState)
    {
        try
        {
            callback(callbackState);
        }
        catch (Exception ex)
        {
            // An exception escaping an awaited continuation is already captured by its task;
            // anything here is a bug in a callback posted by hand. Keep the activation alive.
            LogContinuationFailed(Runtime.Logger, ex, Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Completing a turn of grain {GrainId} failed")]
    private static partial void LogTurnFinishFailed(ILogger logger, Exception exception, GrainId grainId);

    [LoggerMessage(Level = LogLevel.Error, Message = "A continuation posted to grain {GrainId} threw")]
    private static partial void LogContinuationFailed(ILogger logger, Exception exception, GrainId grainId);
}
