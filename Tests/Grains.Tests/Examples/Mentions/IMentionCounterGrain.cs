namespace ChatCluster.Grains.Tests.Examples.Mentions;

/// <summary>How often a user was mentioned (<c>@id</c> in a message's <c>text</c>). Key: the user id.</summary>
[Alias("example.IMentionCounterGrain")]
public interface IMentionCounterGrain : IGrainWithStringKey
{
    /// <summary>The mentions counted so far.</summary>
    Task<long> Count();

    /// <summary>Counts the mentions in message <paramref name="seq"/> of <paramref name="timeline"/>, once: a redelivered message is ignored.</summary>
    Task Add(string timeline, long seq, int mentions);
}
