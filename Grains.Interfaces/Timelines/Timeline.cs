namespace ChatCluster.Grains;

/// <summary>A parsed timeline name: <c>user:ID</c> or <c>group:ID</c>.</summary>
public readonly record struct Timeline(TimelineKind Kind, string Id)
{
    public static Timeline ForUser(string userId) => new(TimelineKind.User, userId);

    public static Timeline ForGroup(string groupId) => new(TimelineKind.Group, groupId);

    /// <summary>Parses <c>user:ID</c> or <c>group:ID</c>; false for anything else, including a bad id.</summary>
    public static bool TryParse(string? text, out Timeline timeline)
    {
        timeline = default;
        if (text is null)
        {
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        var id = text[(colon + 1)..];
        if (!ChatIds.IsValid(id))
        {
            return false;
        }

        switch (text.AsSpan(0, colon))
        {
            case "user":
                timeline = ForUser(id);
                return true;
            case "group":
                timeline = ForGroup(id);
                return true;
            default:
                return false;
        }
    }

    /// <inheritdoc />
    public override string ToString() => (Kind == TimelineKind.User ? "user:" : "group:") + Id;
}
