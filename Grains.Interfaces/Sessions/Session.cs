namespace ChatCluster.Grains;

/// <summary>One connected device: the gateway that holds its connection, and the connection's id there.</summary>
[GenerateSerializer, Immutable, Alias("chat.Session")]
public readonly record struct Session(string GatewayId, string ConnectionId);
