namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>The event the stream tests publish: which stream it belongs to and its place in it.</summary>
public sealed record TestEvent(string Key, int Seq);
