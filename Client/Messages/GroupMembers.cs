using System.Text.Json;

namespace ChatCluster.Client.Messages;

/// <summary>The <c>members</c> reply: a group's members and its owner.</summary>
public sealed record GroupMembers(string Group, IReadOnlyList<string> Members, string Owner)
{
    internal static GroupMembers FromJson(JsonElement json) => new(
        json.GetProperty("group").GetString()!,
        [.. json.GetProperty("members").EnumerateArray().Select(member => member.GetString()!)],
        json.GetProperty("owner").GetString()!);
}
