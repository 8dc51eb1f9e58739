using System.Text.Json.Serialization;

namespace ChatCluster.Grains.Groups;

/// <summary>The body of a system message: <c>{"event":"created"|"joined"|"left","user":"…"}</c>.</summary>
internal sealed record SystemEvent(
    [property: JsonPropertyName("event")] string Event,
    [property: JsonPropertyName("user")] string User);
