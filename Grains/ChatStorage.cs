namespace ChatCluster.Grains;

/// <summary>The grain storage the chat grains keep their state in: register a provider under <see cref="Name"/>.</summary>
public static class ChatStorage
{
    public const string Name = "chat";
}
