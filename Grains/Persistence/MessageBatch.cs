namespace ChatCluster.Grains.Persistence;

/// <summary>Checks a batch before any store writes it, so a bad message fails its writer, not every later reader.</summary>
internal static class MessageBatch
{
    public static void Validate(IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i] ?? throw new ArgumentException($"Message {i} of the batch is null.", nameof(messages));
            if (!Enum.IsDefined(message.Kind))
            {
                throw new ArgumentException($"Message ({message.Timeline}, seq {message.Seq}) has the unknown kind {(int)message.Kind}.", nameof(messages));
            }
        }
    }
}
