namespace ChatCluster.Grains;

/// <summary>The id rules of PROTOCOL.md: user and group ids are 1–64 characters of <c>[A-Za-z0-9_.-]</c>.</summary>
public static class ChatIds
{
    public const int MaxLength = 64;

    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
