using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ChatCluster.Grains;

namespace ChatCluster.Gateway.Protocol;

/// <summary>
/// Reads the typed fields of one client frame object. The first problem is kept in
/// <see cref="Error"/> and later reads are skipped, so a frame parser reads every field in a row
/// and checks once at the end; the message names the field that is wrong.
/// </summary>
internal sealed class FieldReader(JsonElement frame, string? id, ProtocolLimits limits)
{
    // Throws on invalid UTF-8 instead of silently substituting U+FFFD: a body is kept byte for byte or refused.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public FrameError? Error { get; private set; }

    public Timeline Timeline(string name)
    {
        var text = RequiredString(name, "a timeline (\"user:ID\" or \"group:ID\")");
        if (text is null)
        {
            return default;
        }

        if (!Grains.Timeline.TryParse(text, out var timeline))
        {
            Fail(ErrorCodes.BadFrame, $"'{name}' must be a timeline (\"user:ID\" or \"group:ID\")");
        }

        return timeline;
    }

    public string ChatId(string name)
    {
        var text = RequiredString(name, "an id (1-64 characters of A-Z a-z 0-9 _ . -)");
        if (text is not null && !ChatIds.IsValid(text))
        {
            Fail(ErrorCodes.BadFrame, $"'{name}' must be an id (1-64 characters of A-Z a-z 0-9 _ . -)");
        }

        return text ?? "";
    }

    public string ClientMsgId(string name)
    {
        var what = $"a string of 1-{limits.MaxIdLength} characters";
        var text = RequiredString(name, what);
        if (text is not null && (text.Length == 0 || text.Length > limits.MaxIdLength))
        {
            Fail(ErrorCodes.BadFrame, $"'{name}' must be {what}");
        }

        return text ?? "";
    }

    /// <summary>A JSON object kept as its exact raw text; too big is <c>too_large</c>, not <c>bad_frame</c>.</summary>
    public string RawObject(string name)
    {
        if (!Required(name, out var value))
        {
            return "";
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            Fail(ErrorCodes.BadFrame, $"'{name}' must be a JSON object");
            return "";
        }

        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.Length > limits.MaxBodyBytes)
        {
            Fail(ErrorCodes.TooLarge, $"'{name}' is {raw.Length} bytes; at most {limits.MaxBodyBytes} are allowed");
            return "";
        }

        try
        {
            return StrictUtf8.GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            Fail(ErrorCodes.BadFrame, $"'{name}' is not valid UTF-8");
            return "";
        }
    }

    /// <summary>An integer in [min, max]; 1.5, 1e3, strings and out-of-range values are refused.</summary>
    public long Integer(string name, long min, long max, long? defaultValue = null)
    {
        if (Error is not null)
        {
            return 0;
        }

        if (!frame.TryGetProperty(name, out var value))
        {
            if (defaultValue is { } fallback)
            {
                return fallback;
            }

            Fail(ErrorCodes.BadFrame, $"'{name}' is missing");
            return 0;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number) || number < min || number > max)
        {
            var range = max == long.MaxValue ? $"{min} or more" : $"from {min} to {max}";
            Fail(ErrorCodes.BadFrame, $"'{name}' must be an integer {range}");
            return 0;
        }

        return number;
    }

    public IReadOnlyList<string> UserIds(string name)
    {
        if (!Required(name, out var value))
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Fail(ErrorCodes.BadFrame, $"'{name}' must be an array of user ids");
            return [];
        }

        // Counted before anything is allocated, so a huge list costs nothing.
        var count = value.GetArrayLength();
        if (count > limits.MaxGroupMembers)
        {
            Fail(ErrorCodes.BadFrame, $"'{name}' lists {count} users; at most {limits.MaxGroupMembers} are allowed");
            return [];
        }

        var ids = new List<string>(count);
        foreach (var item in value.EnumerateArray())
        {
            var userId = item.ValueKind == JsonValueKind.String ? item.GetString() : null;
            if (!ChatIds.IsValid(userId))
            {
                Fail(ErrorCodes.BadFrame, $"'{name}' must be an array of user ids; item {ids.Count} is not one");
                return [];
            }

            ids.Add(userId!);
        }

        return ids;
    }

    private string? RequiredString(string name, string what)
    {
        if (!Required(name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Fail(ErrorCodes.BadFrame, $"'{name}' must be {what}");
            return null;
        }

        return value.GetString();
    }

    private bool Required(string name, out JsonElement value)
    {
        value = default;
        if (Error is not null)
        {
            return false;
        }

        if (!frame.TryGetProperty(name, out value))
        {
            Fail(ErrorCodes.BadFrame, $"'{name}' is missing");
            return false;
        }

        return true;
    }

    private void Fail(string code, string message) => Error ??= new FrameError(id, code, message);
}
