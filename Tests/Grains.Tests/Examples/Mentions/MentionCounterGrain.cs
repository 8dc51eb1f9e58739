namespace ChatCluster.Grains.Tests.Examples.Mentions;

/// <summary>
/// One user's mention count, in the chat's grain storage. The log delivers a timeline's messages at least once and
/// in seq order, so remembering the last seq counted per timeline makes each message count once.
/// </summary>
public sealed class MentionCounterGrain(
    [PersistentState("mentions", ChatStorage.Name)] IPersistentState<MentionCounterState> counter) : Grain, IMentionCounterGrain
{
    public Task<long> Count() => Task.FromResult(counter.State.Count);

    public async Task Add(string timeline, long seq, int mentions)
    {
        if (counter.State.CountedUpTo.GetValueOrDefault(timeline) >= seq)
        {
            return; // seen before: the log redelivered it after a restart
        }

        counter.State.CountedUpTo[timeline] = seq;
        counter.State.Count += mentions;
        await counter.WriteStateAsync();
    }
}
