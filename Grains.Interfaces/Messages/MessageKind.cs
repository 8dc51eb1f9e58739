namespace ChatCluster.Grains;

/// <summary>Who wrote a message: a user, or the system (membership changes of a group).</summary>
[GenerateSerializer, Alias("chat.MessageKind")]
public enum MessageKind
{
    User = 0,
    System = 1,
}
