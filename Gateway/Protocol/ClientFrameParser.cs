using System.Text;
using System.Text.Json;

namespace ChatCluster.Gateway.Protocol;

/// <summary>
/// Turns one client WebSocket message into a typed <see cref="ClientFrame"/> or a
/// <see cref="FrameError"/>, by PROTOCOL.md's rules. It never throws: whatever a client sends, the
/// gateway gets something it can answer with.
/// </summary>
/// <remarks>
/// Unknown fields are ignored, including <c>from</c>: the sender is always the token's subject.
/// Duplicate keys, at any depth (the body too), make the frame <c>bad_frame</c>: parsers disagree on
/// which duplicate wins, so a body with them could mean different things to different clients.
/// <c>null</c> is never accepted where a value is expected, not even for the optional <c>id</c>.
/// </remarks>
public static class ClientFrameParser
{
    private static readonly JsonDocumentOptions Options = new()
    {
        AllowDuplicateProperties = false,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
    };

    public static ParseResult Parse(ReadOnlySpan<byte> utf8, ProtocolLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        try
        {
            // The document needs memory it can keep; a frame is at most MaxFrameBytes, so the copy is cheap.
            using var document = JsonDocument.Parse(utf8.ToArray(), Options);
            return ParseObject(document.RootElement, limits);
        }
        catch (JsonException)
        {
            return Bad(null, "the frame is not valid JSON");
        }
        catch (InvalidOperationException)
        {
            // Thrown when a string holds invalid UTF-8 and is read.
            return Bad(null, "the frame is not valid UTF-8 JSON");
        }
        catch (DecoderFallbackException)
        {
            return Bad(null, "the frame is not valid UTF-8 JSON");
        }
    }

    private static ParseResult ParseObject(JsonElement root, ProtocolLimits limits)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Bad(null, "a frame must be a JSON object");
        }

        string? id = null;
        if (root.TryGetProperty("id", out var idValue))
        {
            if (idValue.ValueKind != JsonValueKind.String)
            {
                return Bad(null, "'id' must be a string");
            }

            var text = idValue.GetString()!;
            if (text.Length > limits.MaxIdLength)
            {
                return Bad(null, $"'id' must be at most {limits.MaxIdLength} characters");
            }

            id = text;
        }

        if (!root.TryGetProperty("type", out var typeValue))
        {
            return Bad(id, "'type' is missing");
        }

        if (typeValue.ValueKind != JsonValueKind.String)
        {
            return Bad(id, "'type' must be a string");
        }

        var fields = new FieldReader(root, id, limits);
        ClientFrame? frame = typeValue.GetString() switch
        {
            "send" => new SendFrame(id, fields.Timeline("to"), fields.ClientMsgId("clientMsgId"), fields.RawObject("body")),
            "sync" => new SyncFrame(
                id,
                fields.Timeline("timeline"),
                fields.Integer("afterSeq", 0, long.MaxValue),
                (int)fields.Integer("limit", 1, SyncFrame.MaxLimit, SyncFrame.DefaultLimit)),
            "timelines" => new TimelinesFrame(id),
            "read" => new ReadFrame(id, fields.Timeline("timeline"), fields.Integer("seq", 0, long.MaxValue)),
            "group.create" => new GroupCreateFrame(id, fields.ChatId("group"), fields.UserIds("members")),
            "group.join" => new GroupJoinFrame(id, fields.ChatId("group")),
            "group.leave" => new GroupLeaveFrame(id, fields.ChatId("group")),
            "group.members" => new GroupMembersFrame(id, fields.ChatId("group")),
            "ping" => new PingFrame(id),
            _ => null,
        };

        if (frame is null)
        {
            return Bad(id, "'type' is not a known frame type");
        }

        return fields.Error is { } error ? ParseResult.Fail(error) : ParseResult.Ok(frame);
    }

    private static ParseResult Bad(string? id, string message) => ParseResult.Fail(new FrameError(id, ErrorCodes.BadFrame, message));
}
