using System.ComponentModel;
using System.Text.Json;

namespace ChatCluster.Runtime;

/// <summary>
/// Helpers the generated call classes use to write their arguments and results as UTF-8 JSON for
/// the silo-to-silo transport: arguments as one JSON array, a result as one JSON value, each value
/// by <see cref="JsonSerializer"/> for its declared type. Not for hand-written code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CallCodec
{
    /// <summary>The serializer settings of every argument and result on the wire (web defaults).</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>Writes one value of declared type <typeparamref name="T"/>.</summary>
    public static void Write<T>(Utf8JsonWriter writer, T value) => JsonSerializer.Serialize(writer, value, Options);

    /// <summary>Reads the next value (an array element or the whole payload) as <typeparamref name="T"/>.</summary>
    public static T? Read<T>(ref Utf8JsonReader reader)
    {
        // The serializer treats the current token as the start of the value, so step onto it first.
        if (!reader.Read())
        {
            throw new JsonException("A call payload ended before all its values were read.");
        }

        return JsonSerializer.Deserialize<T>(ref reader, Options);
    }

    /// <summary>Reads the '[' that opens an argument list.</summary>
    public static void ReadStartArray(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("A call's arguments must be a JSON array.");
        }
    }

    /// <summary>Reads the ']' that closes an argument list.</summary>
    public static void ReadEndArray(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.EndArray)
        {
            throw new JsonException("A call's argument list has more values than the method has parameters.");
        }
    }
}
