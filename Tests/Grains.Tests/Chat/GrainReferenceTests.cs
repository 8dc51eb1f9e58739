namespace ChatCluster.Grains.Tests.Chat;

/// <summary><see cref="GrainFactoryExtensions.GetGrainByKey{T}"/> gives the references Orleans' own lookup gives, from the first call on.</summary>
public sealed class GrainReferenceTests
{
    [Fact(Timeout = 120_000)]
    public async Task References_by_key_equal_Orleans_own_and_reach_the_same_activation()
    {
        using var store = await ChatStore.CreateAsync("sqlite");
        await using var silo = await ChatSilo.StartAsync(store);
        var inSilo = silo.Service<IGrainFactory>();
        foreach (var grains in new[] { inSilo, silo.Grains })
        {
            foreach (var key in new[] { "ref-a", "ref-b", "ref-a" })
            {
                Assert.Equal(grains.GetGrain<IUserGrain>(key), grains.GetGrainByKey<IUserGrain>(key));
                Assert.Equal(grains.GetGrain<IGroupGrain>(key), grains.GetGrainByKey<IGroupGrain>(key));
            }
        }

        Assert.NotEqual(inSilo.GetGrainByKey<IUserGrain>("ref-a"), inSilo.GetGrainByKey<IUserGrain>("ref-b"));
        Assert.NotEqual((IAddressable)inSilo.GetGrainByKey<IUserGrain>("ref-a"), inSilo.GetGrainByKey<IGroupGrain>("ref-a"));

        // A call through one reaches the grain the other names: a message sent through one is synced through the other.
        var ack = await inSilo.GetGrainByKey<IUserGrain>("ref-a").SendDirect("ref-b", "c-1", """{"text":"hi"}""", null);
        Assert.True(ack.Ack is not null, ack.Error?.Message);
        var page = await silo.Grains.GetGrain<IUserGrain>("ref-b").Sync(0, 10);
        Assert.Equal("c-1", Assert.Single(page.Messages).ClientMsgId);
    }
}
