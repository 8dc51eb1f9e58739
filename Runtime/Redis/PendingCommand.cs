namespace ChatCluster.Runtime.Redis;

/// <summary>
/// A command between its caller and its reply. Completes once (reply or failure) and then gives its
/// slot of <see cref="RedisOptions.MaxPendingCommands"/> back, even when its caller has stopped waiting
/// (timed out or canceled): the slot counts what is really queued or on the wire.
/// </summary>
internal sealed class PendingCommand(RedisArg[] command, SemaphoreSlim? slots)
    : TaskCompletionSource<RedisReply>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public RedisArg[] Command { get; } = command;

    /// <summary>The command's name (its first word), the only part of it that goes into messages.</summary>
    public string Name => NameOf(Command);

    public static string NameOf(RedisArg[] command) =>
        command.Length > 0 && command[0].Text is { Length: > 0 and <= 32 } name ? name.ToUpperInvariant() : "(binary command)";

    public void Complete(RedisReply reply)
    {
        if (reply.Kind == RedisReplyKind.Error)
        {
            Fail(reply.ToException());
        }
        else if (TrySetResult(reply))
        {
            slots?.Release();
        }
    }

    public void Fail(Exception exception)
    {
        if (TrySetException(exception))
        {
            slots?.Release();
        }
    }
}
