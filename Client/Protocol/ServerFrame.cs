using System.Text.Json;

namespace ChatCluster.Client.Protocol;

/// <summary>One frame from the server: its <c>type</c>, its <c>id</c> (for replies) and the whole object.</summary>
internal readonly record struct ServerFrame(string Type, string? Id, JsonElement Root)
{
    /// <summary>Parses a text message; null when it is not a JSON object with a string <c>type</c> (a server bug, skipped).</summary>
    public static ServerFrame? Parse(ReadOnlySpan<byte> utf8)
    {
        JsonElement root;
        try
        {
            var reader = new Utf8JsonReader(utf8);
            root = JsonElement.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return null;
        }

        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var id = root.TryGetProperty("id", out var idValue) && idValue.ValueKind == JsonValueKind.String ? idValue.GetString() : null;
        return new ServerFrame(type.GetString()!, id, root);
    }
}
