using ChatCluster.Runtime.Clustering;

namespace ChatCluster.Runtime.Tests.Clustering;

public sealed class SiloAddressTests
{
    [Theory]
    [InlineData("10.0.0.5:11111@1700000000000", "10.0.0.5", 11111, 1700000000000)]
    [InlineData("silo-a.internal:30000@7", "silo-a.internal", 30000, 7)]
    [InlineData("[::1]:11111@42", "::1", 11111, 42)]
    public void Parses_what_it_writes(string text, string host, int port, long epoch)
    {
        var address = SiloAddress.Parse(text);

        Assert.Equal(new SiloAddress(host, port, epoch), address);
        Assert.Equal(text, address.ToString());
    }

    [Theory]
    [InlineData("10.0.0.5:11111", "no '@epoch'")]
    [InlineData("10.0.0.5:11111@soon", "the epoch \"soon\"")]
    [InlineData("10.0.0.5@1", "one ':'")]
    [InlineData("10.0.0.5:0@1", "the port \"0\"")]
    [InlineData("10.0.0.5:70000@1", "the port \"70000\"")]
    [InlineData("::1:11111@1", "one ':'")]
    [InlineData("[::1]11111@1", "]:port")]
    [InlineData("", "expected host:port@epoch")]
    public void Refuses_malformed_text_saying_what_is_wrong(string text, string problem)
    {
        var error = Assert.Throws<FormatException>(() => SiloAddress.Parse(text));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.False(SiloAddress.TryParse(text, out _));
    }

    [Fact]
    public void New_epochs_only_grow_and_the_order_is_host_port_epoch()
    {
        var epochs = Enumerable.Range(0, 1000).Select(_ => SiloAddress.NewEpoch()).ToList();
        Assert.Equal(epochs.Order(), epochs);
        Assert.Equal(epochs.Count, epochs.Distinct().Count());

        var view = new MembershipView(3, DateTimeOffset.UnixEpoch,
        [
            new MembershipEntry(SiloAddress.Parse("b:1@1"), SiloStatus.Active, DateTimeOffset.UnixEpoch, []),
            new MembershipEntry(SiloAddress.Parse("a:2@1"), SiloStatus.Active, DateTimeOffset.UnixEpoch, []),
            new MembershipEntry(SiloAddress.Parse("a:1@2"), SiloStatus.Active, DateTimeOffset.UnixEpoch, []),
            new MembershipEntry(SiloAddress.Parse("a:1@1"), SiloStatus.Dead, DateTimeOffset.UnixEpoch, []),
            new MembershipEntry(SiloAddress.Parse("c:1@1"), SiloStatus.Joining, DateTimeOffset.UnixEpoch, []),
        ]);
        Assert.Equal(["a:1@2", "a:2@1", "b:1@1"], view.ActiveSilos.Select(a => a.ToString()));
        Assert.Equal(["a:2@1", "b:1@1"], view.ProbeTargets(SiloAddress.Parse("a:1@2"), 3).Select(a => a.ToString()));
        Assert.Equal(["a:1@2"], view.ProbeTargets(SiloAddress.Parse("b:1@1"), 1).Select(a => a.ToString()));
        Assert.Empty(view.ProbeTargets(SiloAddress.Parse("c:1@1"), 3));
    }
}
