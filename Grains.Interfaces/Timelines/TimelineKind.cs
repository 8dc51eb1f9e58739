namespace ChatCluster.Grains;

/// <summary>The two kinds of timeline: a user's personal one (direct messages) and a group's.</summary>
public enum TimelineKind
{
    User,
    Group,
}
