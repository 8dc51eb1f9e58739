using ChatCluster.Grains.Persistence;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>A message store whose writes can be held (as a stalled database would), and that counts the inserts it let through.</summary>
internal sealed class HeldMessageStore(IMessageStore inner) : IMessageStore
{
    private volatile TaskCompletionSource released = Done();
    private long insertedRows;
    private long heldInserts;

    public long InsertedRows => Interlocked.Read(ref insertedRows);

    /// <summary>Inserts that arrived while held and are waiting.</summary>
    public long HeldInserts => Interlocked.Read(ref heldInserts);

    public void Hold() => released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => released.TrySetResult();

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public async Task InsertAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        var gate = released.Task;
        if (!gate.IsCompleted)
        {
            Interlocked.Increment(ref heldInserts);
            await gate.WaitAsync(cancellationToken);
        }

        await inner.InsertAsync(messages, cancellationToken);
        Interlocked.Add(ref insertedRows, messages.Count);
    }

    public Task<IReadOnlyList<ChatMessage>> ReadAsync(string timeline, long afterSeq, int limit, CancellationToken cancellationToken) =>
        inner.ReadAsync(timeline, afterSeq, limit, cancellationToken);

    public Task<long> GetLastSeqAsync(string timeline, CancellationToken cancellationToken) => inner.GetLastSeqAsync(timeline, cancellationToken);

    public Task<ChatMessage?> FindSentAsync(string timeline, string from, string clientMsgId, CancellationToken cancellationToken) =>
        inner.FindSentAsync(timeline, from, clientMsgId, cancellationToken);

    private static TaskCompletionSource Done()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }
}
