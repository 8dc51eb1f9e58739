namespace ChatCluster.Runtime;

/// <summary>An event handed to a <see cref="IStreamHandler{TEvent}"/>: where it stands, and what it says.</summary>
public sealed record StreamEvent<TEvent>(StreamId Stream, StreamPosition Position, TEvent Event);
